import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { addressKeySecret, createAddressKeyer } from "../../src/quality/address-key.js";

const KEY = "0f".repeat(32);
const keyOf = createAddressKeyer(addressKeySecret(KEY));

describe("address keys", () => {
  it("one IPv4 address is one key; IPv4-mapped IPv6 is the same address", () => {
    expect(keyOf("203.0.113.9")).toBe(keyOf("203.0.113.9"));
    expect(keyOf("::ffff:203.0.113.9")).toBe(keyOf("203.0.113.9"));
    expect(keyOf("203.0.113.10")).not.toBe(keyOf("203.0.113.9"));
  });

  it("an IPv6 /64 is one key, whatever the rest and however it is written", () => {
    const k = keyOf("2001:db8:1:2::5");
    expect(keyOf("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe(k);
    expect(keyOf("2001:db8:1:2:abcd::1")).toBe(k);
    expect(keyOf("2001:db8:1:3::5")).not.toBe(k);
  });

  it("never contains the address; is short and fixed-length", () => {
    for (const ip of ["203.0.113.9", "2001:db8:1:2::5"]) {
      const k = keyOf(ip)!;
      expect(k).toMatch(/^a:[A-Za-z0-9_-]{22}$/);
      expect(k).not.toContain(ip);
      expect(k).not.toContain("203");
    }
  });

  it("nodes sharing the encryption key agree; another key gives other keys", () => {
    expect(createAddressKeyer(addressKeySecret(KEY))("198.51.100.1")).toBe(keyOf("198.51.100.1"));
    const other = createAddressKeyer(addressKeySecret(randomBytes(32).toString("hex")));
    expect(other("198.51.100.1")).not.toBe(keyOf("198.51.100.1"));
  });

  it.each([null, undefined, "", "unknown", "1.2.3", "203.0.113.9:443", "::ffff:1.2.3.256"])(
    "no key for %j",
    (ip) => expect(keyOf(ip)).toBeNull(),
  );

  it("refuses a secret that is not 32 bytes", () => {
    expect(() => addressKeySecret("abcd")).toThrow(/32 bytes/);
  });
});
