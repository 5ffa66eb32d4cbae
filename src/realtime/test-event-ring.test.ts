import { describe, expect, it } from "vitest";
import type { WireTestEvent } from "./messages.js";
import { TestEventRing } from "./test-event-ring.js";

const ev = (n: number): WireTestEvent => ({
  workspace_id: "ws_a",
  id: null,
  status: "rejected",
  test_event_code: null,
  event_name: `E${n}`,
  received_at: new Date(n).toISOString(),
  received: {},
  error: { code: "missing_field", message: "m" },
});

describe("TestEventRing", () => {
  it("lists newest first, per workspace", () => {
    const ring = new TestEventRing({ maxPerWorkspace: 10, maxAgeMs: 1000, now: () => 100 });
    ring.add("ws_a", 10, ev(1));
    ring.add("ws_a", 20, ev(2));
    ring.add("ws_b", 20, ev(3));
    expect(ring.list("ws_a").map((e) => e.event_name)).toEqual(["E2", "E1"]);
    expect(ring.list("ws_b").map((e) => e.event_name)).toEqual(["E3"]);
    expect(ring.list("ws_c")).toEqual([]);
  });

  it("keeps at most maxPerWorkspace", () => {
    const ring = new TestEventRing({ maxPerWorkspace: 3, maxAgeMs: 1e9, now: () => 100 });
    for (let i = 0; i < 10; i++) ring.add("ws_a", i, ev(i));
    expect(ring.list("ws_a").map((e) => e.event_name)).toEqual(["E9", "E8", "E7"]);
  });

  it("forgets what is older than maxAgeMs", () => {
    let now = 0;
    const ring = new TestEventRing({ maxPerWorkspace: 10, maxAgeMs: 1000, now: () => now });
    ring.add("ws_a", 0, ev(1));
    ring.add("ws_a", 600, ev(2));
    now = 1500;
    expect(ring.list("ws_a").map((e) => e.event_name)).toEqual(["E2"]);
    now = 5000;
    ring.sweep();
    expect(ring.list("ws_a")).toEqual([]);
  });
});
