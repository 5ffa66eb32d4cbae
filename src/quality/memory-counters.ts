/**
 * The quality counters in memory: one node's view (a single node, tests, benchmarks, and the
 * fallback while a store has no counters of its own). Keys come from clients — an attacker
 * rotating through addresses (an IPv6 /64 holds 2^64) makes a new key per request — so the
 * table is an LRU bounded by entries and by estimated bytes; each key holds at most `cap` times
 * and lives no longer than its window. Under such a rotation the oldest keys are forgotten
 * first; memory never grows past the bounds.
 */
import { LRUCache } from "lru-cache";
import { slide, type CounterHit, type QualityCounters } from "./counters.js";

export interface MemoryCountersOptions {
  /** Most keys kept (default 200,000). */
  maxEntries?: number;
  /** Most estimated bytes kept (default 32 MiB). */
  maxBytes?: number;
}

/** Estimated bytes of one entry: the key (UTF-16), the array of times, and the LRU's own slots. */
function entryBytes(times: number[], key: string): number {
  return 2 * key.length + 8 * times.length + 120;
}

export class MemoryQualityCounters implements QualityCounters {
  private readonly table: LRUCache<string, number[]>;

  constructor(opts: MemoryCountersOptions = {}) {
    this.table = new LRUCache<string, number[]>({
      max: opts.maxEntries ?? 200_000,
      maxSize: opts.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: entryBytes,
      // Each entry's ttl is its window: once its last time has left the window it is garbage.
      ttlAutopurge: false,
    });
  }

  hit(workspaceId: string, hits: readonly CounterHit[], at: number): number[] {
    const answers: number[] = [];
    for (const h of hits) {
      const key = `${workspaceId}|${h.windowMs}|${h.key}`;
      const r = slide(this.table.get(key) ?? [], at, h.windowMs, Math.max(1, h.cap));
      this.table.set(key, r.times, { ttl: h.windowMs });
      answers.push(r.count);
    }
    return answers;
  }

  /** Keys and estimated bytes held now (tests and benchmarks). */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.table.size, bytes: this.table.calculatedSize };
  }
}
