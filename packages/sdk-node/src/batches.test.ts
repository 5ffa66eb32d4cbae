import { describe, expect, it } from "vitest";
import { batchBody, toBatches } from "./batches.js";
import { prepareEvent } from "./event.js";

const event = (n: number, padding = 0) =>
  prepareEvent({ event_name: "Lead", event_id: `e${n}`, custom_data: { pad: "x".repeat(padding) } }, 0);

describe("toBatches", () => {
  it.each([
    ["empty", 0, 10, 1_000_000, []],
    ["under the count", 3, 10, 1_000_000, [3]],
    ["exactly the count", 10, 10, 1_000_000, [10]],
    ["by count", 25, 10, 1_000_000, [10, 10, 5]],
    ["by count of one", 3, 1, 1_000_000, [1, 1, 1]],
  ])("%s", (_name, n, maxEvents, maxBytes, sizes) => {
    const events = Array.from({ length: n }, (_, i) => event(i));
    expect(toBatches(events, maxEvents, maxBytes).map((b) => b.length)).toEqual(sizes);
  });

  it("cuts by bytes and keeps every body within the limit, in order", () => {
    const events = Array.from({ length: 20 }, (_, i) => event(i, 300));
    const batches = toBatches(events, 1000, 2048, "TEST1");
    expect(batches.length).toBeGreaterThan(3);
    for (const b of batches) expect(Buffer.byteLength(batchBody(b, "TEST1"))).toBeLessThanOrEqual(2048);
    expect(batches.flat().map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
  });

  it("sends an event larger than the limit alone", () => {
    const events = [event(1), event(2, 5000), event(3)];
    expect(toBatches(events, 1000, 2048).map((b) => b.length)).toEqual([1, 1, 1]);
  });
});

describe("batchBody", () => {
  it("is the contract's body, with the test code when set", () => {
    const body = JSON.parse(batchBody([event(1)], "TEST42"));
    expect(body.data[0].event_id).toBe("e1");
    expect(body.test_event_code).toBe("TEST42");
    expect(JSON.parse(batchBody([], undefined))).toEqual({ data: [] });
  });
});
