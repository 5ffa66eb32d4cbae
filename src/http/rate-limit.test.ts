import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit.js";

describe("RateLimiter", () => {
  it("allows the burst, then asks to wait, then refills at the rate", () => {
    const l = new RateLimiter({ rate: 1, burst: 3 });
    const t = 1_000_000;
    expect([l.take("a", t), l.take("a", t), l.take("a", t)]).toEqual([0, 0, 0]);
    expect(l.take("a", t)).toBe(1);
    expect(l.take("b", t)).toBe(0); // another key has its own bucket
    expect(l.take("a", t + 1000)).toBe(0);
    expect(l.take("a", t + 1000)).toBe(1);
  });

  it("stays within its entries and bytes however many keys arrive, evicting the oldest", () => {
    const l = new RateLimiter({ rate: 10, maxEntries: 500, maxBytes: 40_000 });
    const t = 1_000_000;
    for (let i = 0; i < 20_000; i++) l.take(`client-${i}-${"x".repeat(i % 300)}`, t);
    expect(l.size.entries).toBeLessThanOrEqual(500);
    expect(l.size.bytes).toBeLessThanOrEqual(40_000);
    expect(l.size.entries).toBeGreaterThan(0);
  });

  it("a client that keeps coming is not evicted by a flood of one-off keys", () => {
    const l = new RateLimiter({ rate: 1, burst: 5, maxEntries: 100 });
    const t = 1_000_000;
    for (let i = 0; i < 5; i++) l.take("steady", t);
    expect(l.take("steady", t)).toBeGreaterThan(0); // its bucket is empty
    for (let i = 0; i < 1000; i++) {
      l.take(`one-off-${i}`, t);
      if (i % 50 === 0) l.take("steady", t); // still refused: the bucket was kept, not reset
    }
    expect(l.take("steady", t)).toBeGreaterThan(0);
  });
});
