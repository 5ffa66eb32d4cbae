import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { CidrMatcher, parseCidr } from "../../src/quality/cidr-matcher.js";
import { parseIpv4, parseIpv6 } from "../../src/quality/ip-words.js";

const words = (ip: string): number[] | null => {
  const w = new Uint32Array(4);
  return parseIpv6(ip, w) ? [...w] : null;
};
const ipaddrWords = (ip: string): number[] => {
  const p = ipaddr.IPv6.parse(ip).parts;
  return [0, 1, 2, 3].map((i) => ((p[2 * i]! << 16) | p[2 * i + 1]!) >>> 0);
};

describe("parseIpv4", () => {
  it.each([
    ["0.0.0.0", 0],
    ["203.0.113.9", 0xcb007109],
    ["255.255.255.255", 0xffffffff],
  ])("%s", (ip, n) => expect(parseIpv4(ip)).toBe(n));

  it.each([
    "",
    "1",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1..2.3",
    "1.2.3.",
    " 1.2.3.4",
    "1.2.3.4 ",
    "0x7f.0.0.1",
    "1.2.3.1000",
  ])("refuses %j", (s) => expect(parseIpv4(s)).toBe(-1));

  it("agrees with ipaddr.js on every four-part address", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(parseIpv4(ip)).toBe(
          ipaddr.IPv4.parse(ip)
            .toByteArray()
            .reduce((a, b) => a * 256 + b, 0),
        );
      }),
    );
  });
});

describe("parseIpv6", () => {
  it.each([
    ["::", [0, 0, 0, 0]],
    ["::1", [0, 0, 0, 1]],
    ["2001:db8::", [0x20010db8, 0, 0, 0]],
    ["2001:DB8:0:0:8:800:200C:417A", [0x20010db8, 0, 0x80800, 0x200c417a]],
    ["::ffff:203.0.113.9", [0, 0, 0xffff, 0xcb007109]],
    ["fe80::1%eth0", [0xfe800000, 0, 0, 1]],
    ["1:2:3:4:5:6:7::", [0x10002, 0x30004, 0x50006, 0x70000]],
    ["::1.2.3.4", [0, 0, 0, 0x01020304]],
  ])("%s", (ip, w) => expect(words(ip)).toEqual(w));

  it.each([
    "",
    ":",
    ":::",
    "1:2",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "::1:2:3:4:5:6:7:8",
    "1:",
    "g::",
    "::1.2.3",
    "1.2.3.4",
    "::ffff:256.0.0.1",
    "1:2:3:4:5:6:7:1.2.3.4",
  ])("refuses %j", (s) => expect(words(s)).toBeNull());

  it("agrees with ipaddr.js on every IPv6 text form", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV6(),
          fc.ipV4().map((v4) => `::ffff:${v4}`),
        ),
        (ip) => {
          // ipaddr.js reads the deprecated IPv4-compatible form `::a.b.c.d` as `::ffff:a.b.c.d`;
          // RFC 4291 (and this parser) as `::0:0:a.b.c.d`.
          if (/^::\d+\./.test(ip)) return;
          expect(words(ip)).toEqual(ipaddrWords(ip));
        },
      ),
    );
  });
});

describe("parseCidr", () => {
  it("masks host bits and bounds the range", () => {
    expect(parseCidr("10.1.2.3/8")).toEqual({ kind: 4, first: 0x0a000000, last: 0x0affffff });
    expect(parseCidr("0.0.0.0/0")).toEqual({ kind: 4, first: 0, last: 0xffffffff });
    expect(parseCidr("1.2.3.4")).toEqual({ kind: 4, first: 0x01020304, last: 0x01020304 });
    const v6 = parseCidr("2600:1f14:8000::1/35");
    expect(v6 && v6.kind === 6 && [...v6.first]).toEqual([0x26001f14, 0x80000000, 0, 0]);
    expect(v6 && v6.kind === 6 && [...v6.last]).toEqual([0x26001f14, 0x9fffffff, 0xffffffff, 0xffffffff]);
  });

  it.each(["", "1.2.3.4/33", "::/129", "1.2.3.4/", "1.2.3.4/x", "1.2.3.4/-1", "nope/8"])("refuses %j", (c) =>
    expect(parseCidr(c)).toBeNull(),
  );
});

describe("CidrMatcher", () => {
  const m = CidrMatcher.from([
    "3.5.140.0/22",
    "3.5.142.0/23", // inside the one above: merged
    "52.94.76.0/22",
    "52.94.80.0/22", // touching the one before: merged
    "2600:1f14::/35",
    "2a05:d07c:2000::/40",
    "2a05:d07c:2000:1::/64", // inside
    "::ffff:198.51.100.0/120", // an IPv4-mapped range counts as IPv4
    "not a range",
  ]);

  it("merges ranges and counts what it could not read", () => {
    expect(m.size).toEqual({ v4: 3, v6: 2 });
    expect(m.skipped).toBe(1);
  });

  it.each([
    ["3.5.140.0", true],
    ["3.5.143.255", true],
    ["3.5.144.0", false],
    ["3.5.139.255", false],
    ["52.94.79.255", true],
    ["52.94.80.0", true],
    ["52.94.84.0", false],
    ["198.51.100.77", true],
    ["::ffff:3.5.141.7", true],
    ["2600:1f14::", true],
    ["2600:1f14:1fff:ffff:ffff:ffff:ffff:ffff", true],
    ["2600:1f14:2000::", false],
    ["2a05:d07c:20ff:ffff::1", true],
    ["2a05:d07c:2100::", false],
    ["::", false],
    ["203.0.113.9", false],
    ["", false],
    ["garbage", false],
    ["3.5.140.0.1", false],
  ])("%s → %s", (ip, inside) => expect(m.has(ip)).toBe(inside));

  it("answers what a linear scan with ipaddr.js answers", () => {
    const cidrs = [
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.1.0/24",
      "100.64.0.0/10",
      "fc00::/7",
      "2001:db8::/32",
    ];
    const exact = CidrMatcher.from(cidrs);
    const parsed = cidrs.map((c) => ipaddr.parseCIDR(c));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const a = ipaddr.parse(ip);
        const expected = parsed.some(([net, bits]) => a.kind() === net.kind() && a.match(net, bits));
        const mapped = a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress();
        if (!mapped) expect(exact.has(ip)).toBe(expected);
      }),
    );
  });

  it("an empty matcher matches nothing", () => {
    expect(CidrMatcher.from([]).has("1.2.3.4")).toBe(false);
    expect(CidrMatcher.from([]).has("2001:db8::1")).toBe(false);
  });
});
