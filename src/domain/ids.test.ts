import { describe, expect, it } from "vitest";
import { newId, newSecret } from "./ids.js";

describe("newId", () => {
  it("has the prefix, 26 base32 characters, and sorts by time", () => {
    const a = newId("evt", 1_700_000_000_000);
    const b = newId("evt", 1_700_000_000_001);
    expect(a).toMatch(/^evt_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(a < b).toBe(true);
  });

  it("does not repeat over many ids drawn from the random pool", () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newId("x", 1)));
    expect(ids.size).toBe(20_000);
  });
});

describe("newSecret", () => {
  it("is prefixed and long enough", () => {
    expect(newSecret("sk")).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
  });
});
