/**
 * When to try a delivery again: exponential backoff with full jitter (a random delay between
 * 0 and base·2^(n−1), capped), so a platform coming back from an outage is not hit by every
 * worker at the same instant — but never sooner than the platform asked (`Retry-After`,
 * Google's `retryDelay`), itself capped so a bogus value cannot park a delivery for days.
 */

/** Longest backoff between two attempts (API.md: capped at 10 minutes). */
export const BACKOFF_CAP_MS = 10 * 60_000;
/** Longest wait a platform may ask for before we try again anyway. */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

/**
 * Delay before the next attempt after `attempts` failed ones (1 after the first failure).
 *
 * @example
 * backoffDelay(1, 1000);                   // 0…1000 ms
 * backoffDelay(3, 1000);                   // 0…4000 ms
 * backoffDelay(3, 1000, 30_000);           // 30 000 ms: never sooner than asked
 */
export function backoffDelay(
  attempts: number,
  baseMs: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(BACKOFF_CAP_MS, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  const jittered = Math.floor(random() * exp);
  const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(retryAfterMs, 0), RETRY_AFTER_CAP_MS);
  return Math.max(jittered, floor);
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable.
 *
 * @example
 * parseRetryAfter("120", 0); // 120000
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * A protobuf Duration in its JSON form (`"30s"`, `"1.5s"`) as milliseconds.
 *
 * @example
 * parseDuration("30s"); // 30000
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
