import { describe, expect, it } from "vitest";
import { idTime, newId, newSecret } from "./ids.js";

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

describe("idTime", () => {
  it("reads back the milliseconds an id was made with", () => {
    for (const t of [0, 1, 1_700_000_000_123, Date.UTC(2026, 11, 7), 2 ** 48 - 1])
      expect(idTime(newId("evt", t))).toBe(t);
  });

  it("is null for what is not a time-sortable id", () => {
    for (const id of [
      "",
      "evt_",
      "evt_0123",
      "nounderscore0123456789abcdefghjk",
      "evt_UUUUUUUUUU0123456789abcdef",
    ])
      expect(idTime(id)).toBeNull();
  });
});

describe("newSecret", () => {
  it("is prefixed and long enough", () => {
    expect(newSecret("sk")).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
  });
});
