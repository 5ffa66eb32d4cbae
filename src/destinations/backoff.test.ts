import { describe, expect, it } from "vitest";
import {
  BACKOFF_CAP_MS,
  RETRY_AFTER_CAP_MS,
  backoffDelay,
  parseDuration,
  parseRetryAfter,
} from "./backoff.js";

describe("backoffDelay", () => {
  it.each([
    [1, 1000, 1000],
    [2, 1000, 2000],
    [3, 1000, 4000],
    [11, 1000, BACKOFF_CAP_MS],
    [60, 1000, BACKOFF_CAP_MS],
    [3, 20, 80],
  ])("after %i failures with base %i the ceiling is %i", (attempts, base, ceiling) => {
    expect(backoffDelay(attempts, base, undefined, () => 0.999_999)).toBe(ceiling - 1);
    expect(backoffDelay(attempts, base, undefined, () => 0)).toBe(0);
  });

  it("draws the full jitter between 0 and the ceiling", () => {
    expect(backoffDelay(3, 1000, undefined, () => 0.5)).toBe(2000);
  });

  it("never goes sooner than Retry-After, which is capped", () => {
    expect(backoffDelay(1, 1000, 30_000, () => 0)).toBe(30_000);
    expect(backoffDelay(20, 1000, 5, () => 0.5)).toBe(BACKOFF_CAP_MS / 2);
    expect(backoffDelay(1, 1000, 10 * RETRY_AFTER_CAP_MS, () => 0)).toBe(RETRY_AFTER_CAP_MS);
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["120", 120_000],
    ["0", 0],
    [" 1.5 ", 1500],
    ["Wed, 21 Oct 2015 07:28:10 GMT", 10_000],
    ["soon", undefined],
    [undefined, undefined],
  ])("%j → %j", (v, ms) => expect(parseRetryAfter(v, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(ms));
});

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["1.5s", 1500],
    ["30", undefined],
    [30, undefined],
  ])("%j → %j", (v, ms) => expect(parseDuration(v)).toBe(ms));
});
