import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, retryDelay, type RetryPolicy } from "./backoff.js";

const NOW = Date.parse("2026-11-29T14:00:00.000Z");

describe("parseRetryAfter", () => {
  it.each<[string, string | null, number | null]>([
    ["delay-seconds", "2", 2000],
    ["zero", "0", 0],
    ["fractional seconds", "1.5", 1500],
    ["padded", " 3 ", 3000],
    ["HTTP date ahead", "Sun, 29 Nov 2026 14:00:30 GMT", 30_000],
    ["HTTP date passed", "Sun, 29 Nov 2026 13:00:00 GMT", 0],
    ["absent", null, null],
    ["empty", "", null],
    ["negative", "-1", null],
    ["garbage", "soon", null],
    ["a bare number-like date", "2026-11-30", null],
    ["unparseable date", "Sun, 99 Foo 2026 99:99:99 GMT", null],
  ])("%s: %s → %s", (_name, header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });
});

describe("backoffDelay (full jitter)", () => {
  it.each([
    [0, 0.5, 250],
    [1, 0.5, 500],
    [3, 0.999, 3996],
    [20, 0.999, 29_970], // capped at 30 s
    [2, 0, 0],
  ])("retry %i with random %f → %i", (retry, r, expected) => {
    expect(backoffDelay(retry, 500, 30_000, () => r)).toBe(expected);
  });
});

describe("retryDelay", () => {
  const policy: RetryPolicy = {
    maxRetries: 5,
    retryBaseMs: 500,
    maxRetryDelayMs: 30_000,
    maxRetryAfterMs: 60_000,
  };

  it.each<[string, number | null, number, number]>([
    ["no Retry-After: the backoff", null, 0.5, 250],
    ["Retry-After longer than the backoff wins", 5000, 0.5, 5000],
    ["backoff longer than Retry-After wins", 100, 0.5, 250],
    ["Retry-After is capped", 3_600_000, 0.5, 60_000],
  ])("%s", (_name, retryAfter, r, expected) => {
    expect(retryDelay(0, retryAfter, policy, () => r)).toBe(expected);
  });
});
