import { describe, expect, it } from "vitest";
import { prepareEvent } from "./event.js";
import { parseErrorObject, parseIngestResponse } from "./response.js";

const batch = ["a", "b", "c"].map((id) => prepareEvent({ event_name: "Lead", event_id: id }, 0));

describe("parseIngestResponse", () => {
  it("maps results back to events by index", () => {
    const body = {
      received: 3,
      accepted: 1,
      duplicates: 1,
      rejected: 1,
      results: [
        { index: 2, status: "rejected", error: { code: "missing_field", message: "value is required" } },
        { index: 0, status: "accepted", id: "evt_1" },
        { index: 1, status: "duplicate", id: "evt_0" },
      ],
    };
    expect(parseIngestResponse(batch, JSON.stringify(body))).toEqual({
      received: 3,
      accepted: 1,
      duplicates: 1,
      rejected: 1,
      results: [
        { event_id: "a", status: "accepted", id: "evt_1" },
        { event_id: "b", status: "duplicate", id: "evt_0" },
        { event_id: "c", status: "rejected", error: { code: "missing_field", message: "value is required" } },
      ],
    });
  });

  it.each([
    ["empty body", ""],
    ["not JSON", "<html>ok</html>"],
    ["JSON array", "[]"],
    ["results not an array", '{"results": 3}'],
    ["entries without index", '{"results": [{"status": "rejected"}]}'],
  ])("counts a 200 with %s as all accepted (a 200 means stored)", (_name, text) => {
    const r = parseIngestResponse(batch, text);
    expect(r.accepted).toBe(3);
    expect(r.results.map((x) => x.status)).toEqual(["accepted", "accepted", "accepted"]);
  });

  it("fills in a rejected entry without an error object", () => {
    const r = parseIngestResponse(batch.slice(0, 1), '{"results":[{"index":0,"status":"rejected"}]}');
    expect(r.results[0]).toEqual({
      event_id: "a",
      status: "rejected",
      error: { code: "rejected", message: "The server rejected the event." },
    });
  });
});

describe("parseErrorObject", () => {
  it("takes the contract's error object", () => {
    const text = JSON.stringify({
      error: { code: "unknown_key", message: "The key is not known.", details: { a: 1 } },
    });
    expect(parseErrorObject(401, text)).toEqual({
      code: "unknown_key",
      message: "The key is not known.",
      details: { a: 1 },
    });
  });

  it.each([
    ["empty", "", "The server answered HTTP 502."],
    ["html", "<h1>Bad gateway</h1>", "<h1>Bad gateway</h1>"],
    ["wrong shape", '{"error": "nope"}', '{"error": "nope"}'],
    ["code not a string", '{"error": {"code": 1, "message": "m"}}', '{"error": {"code": 1, "message": "m"}}'],
  ])("makes one up from a %s body", (_name, text, message) => {
    expect(parseErrorObject(502, text)).toEqual({ code: "http_502", message });
  });
});
