import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { slide, type CounterHit } from "../../src/quality/counters.js";
import { MemoryQualityCounters } from "../../src/quality/memory-counters.js";

describe("slide (one key's step, shared by every implementation)", () => {
  it.each<[string, number[], number, number, number, number[], number]>([
    ["the first time", [], 1000, 60_000, 21, [1000], 1],
    ["adds in order", [10, 20], 30, 60_000, 21, [10, 20, 30], 3],
    ["drops what left the window (the edge is out)", [0, 10, 20], 60_010, 60_000, 21, [20, 60_010], 2],
    ["keeps only the last `cap`", [1, 2, 3], 4, 60_000, 3, [2, 3, 4], 3],
    ["a time ahead of `at` is kept, not counted", [10, 50], 30, 60_000, 21, [10, 30, 50], 2],
    ["cap 1 answers 1", [5], 6, 60_000, 1, [6], 1],
    [
      "a late arrival under the cap still counts what came before it",
      [10, 20, 50],
      30,
      60_000,
      2,
      [30, 50],
      2,
    ],
  ])("%s", (_n, times, at, windowMs, cap, kept, count) => {
    const list = [...times];
    expect(slide(list, at, windowMs, cap)).toBe(count);
    expect(list).toEqual(kept);
  });

  it("answers min(cap, exact count in the window) for any sequence of arrivals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 30 }),
        (gaps, cap) => {
          const windowMs = 60_000;
          const kept: number[] = [];
          const all: number[] = [];
          let at = 0;
          for (const g of gaps) {
            at += g % 7_000; // mostly close together, so the cap matters
            all.push(at);
            const count = slide(kept, at, windowMs, cap);
            const exact = all.filter((t) => t > at - windowMs && t <= at).length;
            expect(count).toBe(Math.min(cap, exact));
            expect(kept.length).toBeLessThanOrEqual(cap);
          }
        },
      ),
    );
  });
});

describe("MemoryQualityCounters", () => {
  it("counts per workspace, space and key, in the order asked", () => {
    const c = new MemoryQualityCounters();
    const hits: CounterHit[] = [
      { space: "clicks_per_address", key: "k", windowMs: 60_000, cap: 10 },
      { space: "conversions_per_address", key: "k", windowMs: 3_600_000, cap: 10 },
      { space: "clicks_per_address", key: "other", windowMs: 60_000, cap: 10 },
      { space: "conversions_per_identity", key: "k", windowMs: 3_600_000, cap: 10 },
    ];
    expect(c.hit("ws", hits, 1_000)).toEqual([1, 1, 1, 1]);
    expect(c.hit("ws", hits.slice(0, 2), 2_000)).toEqual([2, 2]);
    expect(c.hit("ws", hits.slice(0, 2), 70_000)).toEqual([1, 3]);
    expect(c.hit("ws2", hits, 70_000)).toEqual([1, 1, 1, 1]);
    expect(c.hit("ws", hits.slice(3), 70_001)).toEqual([2]);
    expect(c.usage.entries).toBe(2); // "k" (with five slots) and "other"
  });

  it("a changed limit (the workspace's setting) takes effect at the next hit", () => {
    const c = new MemoryQualityCounters();
    const at = (cap: number, t: number) =>
      c.hit("ws", [{ space: "clicks_per_address", key: "k", windowMs: 60_000, cap }], t)[0];
    for (let i = 0; i < 5; i++) at(21, i);
    expect(at(3, 10)).toBe(3);
    expect(at(21, 11)).toBe(4); // only 3 times were kept at cap 3
  });

  it("stays within its bounds under an address-rotation attack (a new key per hit)", () => {
    const maxEntries = 5_000;
    const maxBytes = 1024 * 1024;
    const c = new MemoryQualityCounters({ maxEntries, maxBytes });
    const t0 = Date.now();
    for (let i = 0; i < 200_000; i++)
      c.hit(
        "ws_01jd2x0m5q7k3v9n8p6r4t2w0y",
        [
          {
            space: "clicks_per_address",
            key: `a:${i.toString(36).padStart(22, "x")}`,
            windowMs: 60_000,
            cap: 21,
          },
        ],
        t0 + i,
      );
    const u = c.usage;
    expect(u.entries).toBeLessThanOrEqual(maxEntries);
    expect(u.bytes).toBeLessThanOrEqual(maxBytes);
    expect(u.entries).toBeGreaterThan(1_000); // the bound is bytes here, not a collapse
  });

  it("a long flood from one key keeps at most `cap` times", () => {
    const c = new MemoryQualityCounters();
    const t0 = Date.now();
    let last = 0;
    for (let i = 0; i < 100_000; i++)
      last = c.hit(
        "ws",
        [{ space: "clicks_per_address", key: "flood", windowMs: 60_000, cap: 21 }],
        t0 + i,
      )[0]!;
    expect(last).toBe(21);
    expect(c.usage.entries).toBe(1);
    expect(c.usage.bytes).toBeLessThan(1_000);
  });

  it("late arrivals (another node's clock a little behind) count in their place", () => {
    const c = new MemoryQualityCounters();
    const h: CounterHit[] = [{ space: "clicks_per_address", key: "k", windowMs: 1_000, cap: 10 }];
    expect(c.hit("ws", h, 5_000)).toEqual([1]);
    expect(c.hit("ws", h, 4_500)).toEqual([1]); // the one at 5 000 is after it: not counted
    expect(c.hit("ws", h, 5_400)).toEqual([3]);
  });
});
