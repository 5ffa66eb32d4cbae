import { describe, expect, it } from "vitest";
import { redactIps, truncateIp } from "./ip.js";

describe("truncateIp", () => {
  it.each([
    ["203.0.113.9", "203.0.113.0"],
    ["2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::"],
    ["::1", "0:0:0::"],
    ["not-an-ip", null],
    ["", null],
  ])("%s → %s", (ip, want) => expect(truncateIp(ip)).toBe(want));
});

describe("redactIps", () => {
  it.each([
    ["invalid ip 203.0.113.9 in user_data", "invalid ip [ip] in user_data"],
    ['{"client_ip_address":"2001:db8:85a3::8a2e:370:7334"}', '{"client_ip_address":"[ip]"}'],
    ["at 10:30:00 nothing", "at 10:30:00 nothing"],
    ["version 1.2.3 only", "version 1.2.3 only"],
  ])("%s", (text, want) => expect(redactIps(text)).toBe(want));
});
