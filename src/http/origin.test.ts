import { describe, expect, it } from "vitest";
import { browserOrigin } from "./origin.js";

describe("browserOrigin", () => {
  it.each([
    ["https://shop.example", "https://shop.example"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://[::1]:3000", "http://[::1]:3000"],
    ["null", "null"],
    [undefined, null],
    [["https://a.example", "https://b.example"], null],
    ["https://a.example, https://b.example", null],
    ["https://shop.example/path", null],
    ["garbage", null],
    ["https://\u00e9\u00e9.example", null],
    [`https://${"a".repeat(400)}.example`, null],
  ])("%j → %j", (origin, expected) => {
    expect(browserOrigin(origin)).toBe(expected);
  });
});
