import { describe, expect, it } from "vitest";
import { dedupId } from "./dedup-id.js";
import { classifyStatus, excerpt } from "./http-status.js";
import { destinationStats, percentile } from "./stats.js";
import { userDataAllowed } from "./user-data-allowed.js";

describe("userDataAllowed", () => {
  it.each([
    [{ ad_user_data: "granted" }, "denied", true],
    [{ ad_user_data: "denied" }, "granted", false],
    [{ analytics: "granted" }, "granted", true],
    [{ analytics: "granted" }, "denied", false],
    [null, "granted", true],
    [null, "denied", false],
  ] as const)("%j with default %s → %s", (consent, def, out) =>
    expect(userDataAllowed(consent, def)).toBe(out),
  );
});

describe("dedupId", () => {
  it.each([
    [{ id: "evt_1", eventId: "e", orderId: "o" }, "e"],
    [{ id: "evt_1", eventId: null, orderId: "o" }, "o"],
    [{ id: "evt_1", eventId: null, orderId: null }, "evt_1"],
  ])("%j → %s", (ev, id) => expect(dedupId(ev)).toBe(id));
});

describe("classifyStatus", () => {
  const r = (status: number, headers: Record<string, string> = {}, text = "") => ({
    kind: "response" as const,
    status,
    headers,
    text,
  });
  it.each([
    [408, "retry"],
    [425, "retry"],
    [429, "retry"],
    [500, "retry"],
    [503, "retry"],
    [301, "failed"],
    [400, "failed"],
    [401, "failed"],
    [404, "failed"],
    [422, "failed"],
  ])("%i → %s", (status, kind) => expect(classifyStatus(r(status), "X", null).kind).toBe(kind));

  it("keeps Retry-After and an excerpt of the body", () => {
    expect(
      classifyStatus(r(503, { "retry-after": "7" }, "  down\n for   maintenance "), "X", null, 0),
    ).toEqual({
      kind: "retry",
      code: 503,
      error: "X answered 503: down for maintenance",
      retryAfterMs: 7000,
    });
    expect(excerpt("x".repeat(400)).length).toBe(301);
  });
});

describe("stats", () => {
  it("takes nearest-rank percentiles", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([30, 10, 20, 40], 0.5)).toBe(20);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.95)).toBe(
      19,
    );
  });

  it("adds up a destination's rows, zeros for one without deliveries", () => {
    const rec = (id: string) => ({
      id,
      workspaceId: "w",
      type: "meta",
      name: id,
      events: null,
      configEnc: "",
      createdAt: 0,
    });
    const out = destinationStats(
      [rec("a"), rec("b")],
      [
        { destinationId: "a", status: "delivered", count: 3, latencies: [10, 20, 30], lastError: null },
        { destinationId: "a", status: "dead", count: 1, latencies: [], lastError: "boom" },
      ],
    );
    expect(out).toEqual([
      {
        id: "a",
        name: "a",
        type: "meta",
        sent: 0,
        delivered: 3,
        failed: 0,
        dead: 1,
        pending: 0,
        latency_ms_p50: 20,
        latency_ms_p95: 30,
        acceptance_rate: 0.75,
        match_quality_avg: null,
        last_error: "boom",
      },
      {
        id: "b",
        name: "b",
        type: "meta",
        sent: 0,
        delivered: 0,
        failed: 0,
        dead: 0,
        pending: 0,
        latency_ms_p50: null,
        latency_ms_p95: null,
        acceptance_rate: null,
        match_quality_avg: null,
        last_error: null,
      },
    ]);
  });
});
