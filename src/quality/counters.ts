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
 * counters.hit("ws_1", [{ key: "click|a|k3y", windowMs: 60_000, cap: 21 }], Date.now()); // [21]
 */

export type MaybePromise<T> = T | Promise<T>;

export interface CounterHit {
  /** Chosen by the decision, namespaced by what it counts (`c|a|…` clicks per address, …). */
  key: string;
  /** The sliding window, in ms. */
  windowMs: number;
  /** The answer is at most this; a key keeps at most this many times. At least 1. */
  cap: number;
}

export interface QualityCounters {
  /**
   * Records one occurrence at `at` (ms, the server's arrival clock) for each hit, and answers,
   * in the same order, how many occurrences of each key lie in `(at − windowMs, at]`, this one
   * included, at most `cap`. Keys of different workspaces never meet.
   */
  hit(workspaceId: string, hits: readonly CounterHit[], at: number): MaybePromise<number[]>;
}

/**
 * One key's step, shared by every implementation so that they agree: the kept times
 * (ascending) with `at` added in its place, those that left the window dropped, the most
 * recent `cap` kept. `count` is the answer: the times in `(at − windowMs, at]`, at most `cap`
 * (a time after `at` — another node's clock a little ahead — is kept but not counted).
 */
export function slide(
  times: readonly number[],
  at: number,
  windowMs: number,
  cap: number,
): { times: number[]; count: number } {
  const from = at - windowMs;
  const out: number[] = [];
  let count = 0;
  let placed = false;
  for (const t of times) {
    if (t <= from) continue;
    if (!placed && t > at) {
      out.push(at);
      placed = true;
      count++;
    }
    out.push(t);
    if (t <= at) count++;
  }
  if (!placed) {
    out.push(at);
    count++;
  }
  return { times: out.length > cap ? out.slice(out.length - cap) : out, count: Math.min(count, cap) };
}
