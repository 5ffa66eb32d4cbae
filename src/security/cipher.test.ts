import { describe, expect, it } from "vitest";
import { createCipher } from "./cipher.js";

const KEY = "0".repeat(63) + "1";

describe("cipher", () => {
  it("round-trips and never produces the same sealed text twice", () => {
    const c = createCipher(KEY);
    const a = c.encrypt("203.0.113.9");
    const b = c.encrypt("203.0.113.9");
    expect(a).not.toBe(b);
    expect(a).not.toContain("203.0.113");
    expect(c.decrypt(a)).toBe("203.0.113.9");
  });

  it("refuses a sealed text from another key or tampered with", () => {
    const a = createCipher(KEY).encrypt("secret");
    expect(() => createCipher("f".repeat(64)).decrypt(a)).toThrow();
    expect(() => createCipher(KEY).decrypt(a.slice(0, -2) + "AA")).toThrow();
    expect(() => createCipher(KEY).decrypt("v2.xyz")).toThrow();
  });

  it.each(["", "abc", "0".repeat(62), "z".repeat(64)])("refuses key %j", (k) => {
    expect(() => createCipher(k)).toThrow("64 hex");
  });
});
