import { describe, expect, it } from "vitest";
import { protocolKey } from "./live-auth.js";

describe("protocolKey", () => {
  it.each([
    ["tally, sk_abc", "sk_abc"],
    ["sk_abc, tally", "sk_abc"],
    ["tally", null],
    ["chat, sk_abc", null],
    [undefined, null],
  ])("%s → %s", (header, key) => {
    expect(protocolKey(header)).toBe(key);
  });
});
