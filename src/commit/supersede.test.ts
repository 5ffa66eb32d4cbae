import { describe, expect, it } from "vitest";
import type { EventSource } from "../domain/event.js";
import { dedupKeys } from "./dedup-keys.js";
import { supersedes } from "./steps/supersede.js";

describe("supersedes: which later copy replaces the stored one", () => {
  const cases: [EventSource, EventSource | null, number | null, boolean][] = [
    // later copy, stored copy's source, stored copy superseded at, supersedes
    ["server", "browser", null, true],
    ["server", "pixel", null, true],
    ["server", "browser", 1000, false], // a second server copy is a plain duplicate
    ["server", "server", null, false],
    ["server", null, null, false], // stored before sources were recorded
    ["browser", "server", null, false],
    ["browser", "browser", null, false],
    ["pixel", "browser", null, false],
    ["browser", "pixel", null, false],
  ];
  it.each(cases)("%s after %s (superseded at %s) → %s", (later, stored, supersededAt, expected) => {
    expect(supersedes(later, { source: stored, supersededAt })).toBe(expected);
  });
});

describe("dedupKeys", () => {
  const ev = (eventId: string | null, orderId: string | null, testEventCode: string | null = null) => ({
    eventName: "Purchase",
    eventId,
    orderId,
    testEventCode,
  });
  it.each([
    ["event id only", ev("e1", null), { lookup: ["e|Purchase|e1"], claim: ["e|Purchase|e1"] }],
    [
      "event id and order id",
      ev("e1", "o1"),
      { lookup: ["e|Purchase|e1", "o|Purchase|o1"], claim: ["e|Purchase|e1", "x|Purchase|o1"] },
    ],
    [
      "order id only",
      ev(null, "o1"),
      { lookup: ["o|Purchase|o1", "x|Purchase|o1"], claim: ["o|Purchase|o1"] },
    ],
    ["neither", ev(null, null), { lookup: [], claim: [] }],
    ["a test event", ev("e1", null, "T1"), { lookup: ["te|Purchase|e1"], claim: ["te|Purchase|e1"] }],
  ])("%s", (_name, e, keys) => {
    expect(dedupKeys(e)).toEqual(keys);
  });
});
