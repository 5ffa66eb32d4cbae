/**
 * The quality counters in memory: one node's view (a single node, tests, benchmarks, and the
 * fallback while a store has no counters of its own). Keys come from clients — an attacker
 * rotating through addresses (an IPv6 /64 holds 2^64) makes a new key per request — so the
 * table is an LRU bounded by entries and by estimated bytes, and each counter holds at most
 * `cap` times. Under such a rotation the least recently seen keys are forgotten first; memory
 * never grows past the bounds. (No per-entry expiry: the LRU's TTL bookkeeping cost a clock read
 * per lookup, and a key idle past its window counts nothing anyway — `slide` drops its times.)
 *
 * The table is keyed by the hit's key as it comes (an address key or an identity), with one
 * slot per (workspace, space) under it: building a composite key string per hit and hashing it
 * cost more than all the rest of the decision. One address usually has one or two slots (its
 * clicks, its conversions).
 */
import { LRUCache } from "lru-cache";
import { slide, type CounterHit, type CounterSpace, type QualityCounters } from "./counters.js";

export interface MemoryCountersOptions {
  /** Most keys kept (default 200,000). */
  maxEntries?: number;
  /** Most estimated bytes kept (default 64 MiB: about 100,000 keys). */
  maxBytes?: number;
}

interface Slot {
  workspaceId: string;
  space: CounterSpace;
  windowMs: number;
  cap: number;
  /** Ascending; at most `cap`. */
  times: number[];
}

/**
 * Estimated bytes of an entry at its largest, as V8 holds it (checked against the heap in
 * bench/quality.mjs): the key, the LRU's map entry and slots, and per slot its object and a
 * list of up to `cap` times (with the spare capacity a growing array keeps). Counted when a
 * slot is added: a slot never grows past its cap.
 */
function entryBytes(key: string, slots: readonly Slot[]): number {
  let n = 2 * key.length + 200;
  for (const s of slots) n += 140 + 8 * (s.cap + 16);
  return n;
}

export class MemoryQualityCounters implements QualityCounters {
  private readonly table: LRUCache<string, Slot[]>;

  constructor(opts: MemoryCountersOptions = {}) {
    this.table = new LRUCache<string, Slot[]>({
      max: opts.maxEntries ?? 200_000,
      maxSize: opts.maxBytes ?? 64 * 1024 * 1024,
    });
  }

  hit(workspaceId: string, hits: readonly CounterHit[], at: number): number[] {
    const answers: number[] = [];
    for (const h of hits) {
      const cap = Math.max(1, h.cap);
      const slots = this.table.get(h.key);
      let slot: Slot | undefined;
      if (slots !== undefined)
        for (const s of slots)
          if (s.space === h.space && s.workspaceId === workspaceId && s.windowMs === h.windowMs) {
            slot = s;
            break;
          }
      if (slot !== undefined && slot.cap === cap) {
        answers.push(slide(slot.times, at, h.windowMs, cap));
        continue;
      }
      // A new key, a new slot, or a changed limit (a workspace's setting): (re)size the entry.
      const next = slots ? slots.filter((s) => s !== slot) : [];
      const times = slot ? slot.times : [];
      const count = slide(times, at, h.windowMs, cap);
      next.push({ workspaceId, space: h.space, windowMs: h.windowMs, cap, times });
      this.table.set(h.key, next, { size: entryBytes(h.key, next) });
      answers.push(count);
    }
    return answers;
  }

  /** Keys and estimated bytes held now (tests and benchmarks). */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.table.size, bytes: this.table.calculatedSize };
  }
}
