import { describe, expect, it } from "vitest";
import { keyShape, newPublicKey, newSecretKey, PUBLIC_KEY_SHAPE, SECRET_KEY_SHAPE } from "./key-format.js";

describe("key shapes", () => {
  it("the keys Tally makes have the shapes API.md gives", () => {
    for (let i = 0; i < 200; i++) {
      const pk = newPublicKey();
      const sk = newSecretKey();
      expect(pk).toMatch(PUBLIC_KEY_SHAPE);
      expect(sk).toMatch(SECRET_KEY_SHAPE);
      expect(keyShape(pk)).toBe("public");
      expect(keyShape(sk)).toBe("secret");
    }
  });

  it.each([
    ["pk_" + "a".repeat(16), "public"],
    ["pk_" + "a".repeat(64), "public"],
    ["sk_" + "a".repeat(32), "secret"],
    ["sk_" + "A-_9".repeat(16), "secret"],
    ["pk_" + "a".repeat(15), null],
    ["pk_" + "a".repeat(65), null],
    ["sk_" + "a".repeat(31), null],
    ["sk_" + "a".repeat(65), null],
    ["sk_" + "a".repeat(31) + "=", null],
    ["pk_" + "a".repeat(20) + "\n", null],
    ["pk_" + "é".repeat(20), null],
    ["PK_" + "a".repeat(20), null],
    ["", null],
    ["adm_" + "a".repeat(40), null],
    ["x".repeat(100_000), null],
  ])("%j is %s", (s, kind) => {
    expect(keyShape(s)).toBe(kind);
  });
});
