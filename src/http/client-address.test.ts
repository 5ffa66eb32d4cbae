import { describe, expect, it } from "vitest";
import { clientKey, parseTrustedProxies } from "./client-address.js";

describe("clientKey: the unit one client controls", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["::ffff:203.0.113.9", "203.0.113.9"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:0:0:0:7", "2001:db8:1:2::/64"],
    ["2001:db8:1:3::1", "2001:db8:1:3::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("%s → %s", (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });

  it("every address of one /64 is one client; the next /64 is another", () => {
    const keys = new Set(
      Array.from({ length: 1000 }, (_, i) => clientKey(`2001:db8:aa:bb:${i.toString(16)}::${i}`)),
    );
    expect([...keys]).toEqual(["2001:db8:aa:bb::/64"]);
    expect(clientKey("2001:db8:aa:bc::1")).not.toBe("2001:db8:aa:bb::/64");
  });

  it.each([["not an ip"], [""], ["x".repeat(10_000)]])(
    "bad input %j is a bounded key, never an error",
    (ip) => {
      const k = clientKey(ip);
      expect(k.length).toBeLessThanOrEqual(65);
    },
  );
});

describe("parseTrustedProxies", () => {
  it("takes addresses, ranges and proxy-addr's names", () => {
    expect(parseTrustedProxies("127.0.0.1, 10.0.0.0/8 ,fd00::/8,uniquelocal")).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
      "fd00::/8",
      "uniquelocal",
    ]);
  });
  it.each([["true"], ["*"], ["example.com"], ["10.0.0.0/33"], [" , "]])("refuses %j", (raw) => {
    expect(() => parseTrustedProxies(raw)).toThrow();
  });
});
