/** How long to wait between attempts; see the `TallyOptions` keys of the same names. */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly maxRetryDelayMs: number;
  readonly maxRetryAfterMs: number;
}

/**
 * Exponential backoff with full jitter: a random wait in `[0, min(cap, base · 2^retry))`.
 * Full jitter spreads clients that failed together, so they do not come back together.
 *
 * @example
 * backoffDelay(3, 500, 30_000); // somewhere in [0, 4000)
 */
export function backoffDelay(
  retry: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` header in milliseconds from `nowMs`: delay-seconds (`"120"`) or an HTTP
 * date (`"Wed, 21 Oct 2026 07:28:00 GMT"`). `null` when absent or unreadable; a date in the
 * past is 0.
 *
 * @example
 * parseRetryAfter("2", Date.now()); // 2000
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  const v = value?.trim();
  if (v === undefined || v === "") return null;
  if (/^\d+(\.\d+)?$/u.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date always names a day; this keeps Date.parse from reading odd numbers as dates.
  if (!/^[A-Za-z]{3},? /u.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * The wait before retry number `retry` (0 for the first retry): the jittered backoff, but
 * never sooner than the server's `Retry-After`, which is capped at `maxRetryAfterMs` so a
 * misconfigured server cannot park the client for hours.
 *
 * @example
 * retryDelay(0, 5000, { maxRetries: 5, retryBaseMs: 500, maxRetryDelayMs: 30_000, maxRetryAfterMs: 60_000 }); // ≥ 5000
 */
export function retryDelay(
  retry: number,
  retryAfterMs: number | null,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const backoff = backoffDelay(retry, policy.retryBaseMs, policy.maxRetryDelayMs, random);
  return retryAfterMs === null ? backoff : Math.max(backoff, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}
