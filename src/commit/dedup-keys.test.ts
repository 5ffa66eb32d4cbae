import { describe, expect, it } from "vitest";
import { dedupKeys } from "./dedup-keys.js";
import type { DedupKeyFields } from "./tx.js";

const ev = (
  eventId: string | null,
  orderId: string | null,
  testEventCode: string | null = null,
  eventName = "Purchase",
): DedupKeyFields => ({ eventName, eventId, orderId, testEventCode });

describe("dedupKeys", () => {
  it.each([
    ["event id only", ev("e1", null), { lookup: ["e|Purchase|e1"], claim: ["e|Purchase|e1"] }],
    [
      "event id and order id: the order claimed as x|, looked up as o|",
      ev("e1", "o1"),
      { lookup: ["e|Purchase|e1", "o|Purchase|o1"], claim: ["e|Purchase|e1", "x|Purchase|o1"] },
    ],
    [
      "order id only: claimed as o|, looked up as both",
      ev(null, "o1"),
      { lookup: ["o|Purchase|o1", "x|Purchase|o1"], claim: ["o|Purchase|o1"] },
    ],
    ["neither: nothing to dedup on", ev(null, null), { lookup: [], claim: [] }],
    [
      "a test event: its own namespace",
      ev("e1", null, "T1"),
      { lookup: ["te|Purchase|e1"], claim: ["te|Purchase|e1"] },
    ],
    [
      "a test event with an order id",
      ev("e1", "o1", "T1"),
      { lookup: ["te|Purchase|e1", "to|Purchase|o1"], claim: ["te|Purchase|e1", "tx|Purchase|o1"] },
    ],
    [
      "the event name is part of every key",
      ev("e1", null, null, "Lead"),
      { lookup: ["e|Lead|e1"], claim: ["e|Lead|e1"] },
    ],
  ])("%s", (_name, e, keys) => {
    expect(dedupKeys(e)).toEqual(keys);
  });

  // The rule behind the keys (API.md), pair by pair: a later copy is a duplicate when one of
  // its lookup keys is a key the first copy claimed.
  it.each<[string, DedupKeyFields, DedupKeyFields, boolean]>([
    ["equal event ids", ev("e1", null), ev("e1", "o9"), true],
    ["different event ids, equal order ids", ev("e1", "o1"), ev("e2", "o1"), false],
    ["equal order ids, the first without an event id", ev(null, "o1"), ev("e2", "o1"), true],
    ["equal order ids, the later without an event id", ev("e1", "o1"), ev(null, "o1"), true],
    ["equal order ids, neither with an event id", ev(null, "o1"), ev(null, "o1"), true],
    ["an event id equal to the other's order id", ev("o1", null), ev(null, "o1"), false],
    ["other event names", ev("e1", null), ev("e1", null, null, "Lead"), false],
    ["a test copy of a real event", ev("e1", null), ev("e1", null, "T1"), false],
    ["two copies without ids", ev(null, null), ev(null, null), false],
  ])("%s → duplicate: %s", (_name, first, later, duplicate) => {
    const claimed = new Set(dedupKeys(first).claim);
    expect(dedupKeys(later).lookup.some((k) => claimed.has(k))).toBe(duplicate);
  });
});
