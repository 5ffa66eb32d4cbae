import { describe, expect, it } from "vitest";
import { pooledRandomBytes, randomByte } from "./random-pool.js";

describe("random pool", () => {
  it("hands out each pooled byte once: 12-byte nonces across many refills never repeat", () => {
    const seen = new Set<string>();
    // 4096 / 12 leaves a remainder, so refills happen mid-nonce position too.
    for (let i = 0; i < 5_000; i++) {
      const iv = pooledRandomBytes(12);
      expect(iv.length).toBe(12);
      seen.add(iv.toString("hex"));
      if (i % 7 === 0) randomByte();
    }
    expect(seen.size).toBe(5_000);
  });

  it("returns a buffer of its own, not a view of the pool", () => {
    const a = pooledRandomBytes(16);
    const copy = Buffer.from(a);
    for (let i = 0; i < 1_000; i++) pooledRandomBytes(16); // refills the pool under it
    expect(a.equals(copy)).toBe(true);
  });

  it("looks uniform: every byte value turns up in 64 KiB of draws", () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 65_536; i++) counts[randomByte()]! += 1;
    // Expected 256 each; a missing value or one 3× too common means a broken pool.
    expect(Math.min(...counts)).toBeGreaterThan(128);
    expect(Math.max(...counts)).toBeLessThan(512);
  });

  it("refuses more bytes than the pool holds", () => {
    expect(() => pooledRandomBytes(4097)).toThrow(RangeError);
  });
});
