/**
 * The counters behind `click_flood` and `conversion_burst`: "how many of these in the last
 * window, this one included?" for a key the decision chooses (an address key, an identity).
 * One interface, three homes: in memory (`MemoryQualityCounters`, one node, tests, bench),
 * and inside the commit transaction of each store, so that several PostgreSQL nodes count one
 * flood together. Every implementation gives the same answers for the same hits.
 *
 * Windows slide exactly: a key keeps the times of its most recent `cap` occurrences, which is
 * all it takes to know whether more than `cap − 1` fell in the window. So a key costs at most
 * `cap` numbers however long a flood goes on, and a key whose last occurrence left the window
 * holds nothing worth keeping.
 *
 * @example
 * const counters = new MemoryQualityCounters();
 * // the 21st click from one address within 60 s, limit 20 (cap = limit + 1):
 * counters.hit("ws_1", [{ space: "clicks_per_address", key: "a:Q2xY…", windowMs: 60_000, cap: 21 }], Date.now()); // [21]
 */

export type MaybePromise<T> = T | Promise<T>;

/** What a counter counts; keys of different spaces (and workspaces) never meet. */
export const COUNTER_SPACES = [
  "clicks_per_address",
  "conversions_per_identity",
  "conversions_per_address",
] as const;
export type CounterSpace = (typeof COUNTER_SPACES)[number];

export interface CounterHit {
  space: CounterSpace;
  /** An address key or an identity, as the decision has it (no prefix: the space tells). */
  key: string;
  /** The sliding window, in ms. */
  windowMs: number;
  /** The answer is at most this; a key keeps at most this many times. At least 1. */
  cap: number;
}

export interface QualityCounters {
  /**
   * Records one occurrence at `at` (ms, the server's arrival clock) for each hit, and answers,
   * in the same order, how many occurrences of its (workspace, space, key) lie in
   * `(at − windowMs, at]`, this one included, at most `cap`.
   */
  hit(workspaceId: string, hits: readonly CounterHit[], at: number): MaybePromise<number[]>;
}

/**
 * The time a hit counts at inside a store's transaction: its arrival, or the newest time the
 * key already holds if that is later. Rows are locked, so hits are counted in commit order;
 * on several nodes a request that arrived a moment earlier may commit after another one, and
 * counting it at its own arrival would count it "before" hits already stored — it would see
 * fewer than came before it, and a flood split across nodes would go unflagged.
 */
export function commitTime(times: readonly number[], at: number): number {
  const last = times.length > 0 ? times[times.length - 1]! : at;
  return last > at ? last : at;
}

/**
 * One key's step, shared by every implementation so that they agree. `times` (ascending) is
 * updated in place: `at` added in its place, the times that left the window dropped, only the
 * most recent `cap` kept. Returns the answer: the times in `(at − windowMs, at]`, at most `cap`
 * (a time after `at` — another node's clock a little ahead — is kept but not counted).
 * In place because it runs for every click and conversion: no allocation once a key exists.
 */
export function slide(times: number[], at: number, windowMs: number, cap: number): number {
  const from = at - windowMs;
  let old = 0;
  while (old < times.length && times[old]! <= from) old++;
  // Usually at the end; a late arrival (another node's clock) goes in its place.
  let pos = times.length;
  while (pos > old && times[pos - 1]! > at) pos--;
  if (pos === times.length) times.push(at);
  else times.splice(pos, 0, at);
  // In the window and not after `at`: from `old` to `pos`, this one included.
  const count = Math.min(pos - old + 1, cap);
  // Drop what left the window and what is beyond the cap in one move (no array allocated).
  const drop = Math.max(old, times.length - cap);
  if (drop > 0) {
    times.copyWithin(0, drop);
    times.length -= drop;
  }
  return count;
}
