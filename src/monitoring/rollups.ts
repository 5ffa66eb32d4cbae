/**
 * The rollups: counters and latency histograms per workspace and minute (and hour), by arrival
 * time, so `/v1/metrics` never scans raw events. Their names are written here once, and
 * `RollupAccumulator` is the one place deltas are summed in memory: the ingest pipeline, the
 * commit core, the latency recorder and both backends' group commits use it, so a transaction
 * writes each (workspace, minute) row once.
 */
import { HOUR_MS, MINUTE_MS } from "../domain/time.js";
import { emptyHistogram, mergeHistograms, record } from "./histogram.js";
import { SLOT_MS, totalKey } from "./series.js";

/** Counter columns of `rollups_minute` and `rollups_hour`, in column order. */
export const ROLLUP_COUNTERS = [
  "received",
  "accepted",
  "conversions",
  "value",
  "duplicates",
  "rejected",
  "clicks",
  "impressions",
  // Traffic quality (quality/): flagged conversions, their value, flagged clicks.
  "flagged",
  "flagged_value",
  "flagged_clicks",
] as const;
export type RollupCounter = (typeof ROLLUP_COUNTERS)[number];

/** Histogram columns (bucket counts, monitoring/histogram.ts): event time → sent, received → sent. */
export const ROLLUP_HISTOGRAMS = ["latency", "pipeline"] as const;
export type RollupHistogram = (typeof ROLLUP_HISTOGRAMS)[number];

/** Counters kept per workspace and minute (and hour), by arrival time. */
export type RollupCounters = Record<RollupCounter, number>;

export interface RollupDelta extends Partial<RollupCounters>, Partial<Record<RollupHistogram, number[]>> {
  workspaceId: string;
  /** ms, start of the minute (of the hour in an hourly delta). */
  minute: number;
  /**
   * Series counts (monitoring/series.ts) in the minute's 10-second slots, keyed
   * `<slot index 0–5>|<series key>`: what `series_10s` and `series_hour` get.
   */
  series?: Record<string, number>;
}

/** Counters that are also series (`t:<counter>`), by the 10-second slot they happened in. */
const TOTALS = ["received", "accepted", "rejected", "duplicates"] as const;

export function minuteOf(ms: number): number {
  return ms - (ms % MINUTE_MS);
}

export function hourOf(ms: number): number {
  return ms - (ms % HOUR_MS);
}

/**
 * `<slot>|<key>` for each 10-second slot of a minute, made once per series key: the writer
 * counts some fifteen series per event, and a key made anew for each costs a concatenation and
 * its hashing as a property name every time. Bounded: past 10,000 keys it starts over.
 */
const SLOT_KEYS = new Map<string, readonly string[]>();
const MAX_SLOT_KEYS = 10_000;
function slotKeys(key: string): readonly string[] {
  let ks = SLOT_KEYS.get(key);
  if (ks === undefined) {
    if (SLOT_KEYS.size >= MAX_SLOT_KEYS) SLOT_KEYS.clear();
    ks = Array.from({ length: MINUTE_MS / SLOT_MS }, (_, slot) => `${slot}|${key}`);
    SLOT_KEYS.set(key, ks);
  }
  return ks;
}

/**
 * Sums rollup deltas per (workspace, minute).
 *
 * @example
 * const acc = new RollupAccumulator();
 * acc.add(ws, receivedAt, { received: 1, accepted: 1 });
 * acc.sample(ws, receivedAt, "pipeline", 12); // one latency sample, 12 ms
 * await store.addRollups(acc.drain());
 */
export class RollupAccumulator {
  private map = new Map<string, RollupDelta>();

  /**
   * Adds counters and histograms (bucket by bucket) into the workspace's minute of `at`; the
   * counters that are series (`t:received`, …) also count in the 10-second slot of `at`.
   */
  add(workspaceId: string, at: number, delta: Omit<RollupDelta, "workspaceId" | "minute">): void {
    this.addRaw(workspaceId, at, delta);
    const keys: string[] = [];
    for (const c of TOTALS) {
      const v = delta[c];
      if (v) for (let i = 0; i < v; i++) keys.push(totalKey(c));
    }
    if (keys.length) this.count(workspaceId, at, keys);
  }

  /** Counts one in each series of `keys` (repeats count again), in the 10-second slot of `at`. */
  count(workspaceId: string, at: number, keys: readonly string[]): void {
    const d = this.row(workspaceId, minuteOf(at));
    const slot = Math.floor((at - d.minute) / SLOT_MS);
    const series = (d.series ??= {});
    for (const k of keys) {
      const sk = slotKeys(k)[slot]!;
      series[sk] = (series[sk] ?? 0) + 1;
    }
  }

  private addRaw(workspaceId: string, at: number, delta: Omit<RollupDelta, "workspaceId" | "minute">): void {
    const d = this.row(workspaceId, minuteOf(at));
    if (delta.series) {
      const series = (d.series ??= {});
      for (const [k, v] of Object.entries(delta.series)) series[k] = (series[k] ?? 0) + v;
    }
    for (const c of ROLLUP_COUNTERS) {
      const v = delta[c];
      if (v !== undefined) d[c] = (d[c] ?? 0) + v;
    }
    for (const h of ROLLUP_HISTOGRAMS) {
      const v = delta[h];
      if (v !== undefined) d[h] = mergeHistograms(d[h] ?? [], v);
    }
  }

  /** Records one value (ms) in a histogram of the workspace's minute of `at`, in place. */
  sample(workspaceId: string, at: number, histogram: RollupHistogram, ms: number): void {
    const d = this.row(workspaceId, minuteOf(at));
    record((d[histogram] ??= emptyHistogram()), ms);
  }

  addAll(deltas: Iterable<RollupDelta>): void {
    for (const { workspaceId, minute, ...rest } of deltas) this.addRaw(workspaceId, minute, rest);
  }

  /** Moves everything `other` holds into this one. */
  merge(other: RollupAccumulator): void {
    this.addAll(other.drain());
  }

  get size(): number {
    return this.map.size;
  }

  /** The sums, one delta per (workspace, minute); the accumulator is empty afterwards. */
  drain(): RollupDelta[] {
    if (this.map.size === 0) return [];
    const out = [...this.map.values()];
    this.map = new Map();
    return out;
  }

  private row(workspaceId: string, minute: number): RollupDelta {
    const key = `${workspaceId}|${minute}`;
    let d = this.map.get(key);
    if (!d) {
      d = { workspaceId, minute };
      this.map.set(key, d);
    }
    return d;
  }
}

/** Minute deltas summed per (workspace, hour): what `rollups_hour` gets (series apart: `seriesRowsOf`). */
export function hourlyOf(minutes: readonly RollupDelta[]): RollupDelta[] {
  const acc = new RollupAccumulator();
  for (const { workspaceId, minute, series: _s, ...rest } of minutes)
    acc.addAll([{ workspaceId, minute: hourOf(minute), ...rest }]);
  return acc.drain();
}

/** One row of `series_10s` or `series_hour`. */
export interface SeriesRow {
  workspaceId: string;
  /** ms, start of the slot (of the hour). */
  start: number;
  key: string;
  count: number;
}

/** The series of minute deltas as rows of `series_10s` and of `series_hour`, in key order. */
export function seriesRowsOf(minutes: readonly RollupDelta[]): { slots: SeriesRow[]; hours: SeriesRow[] } {
  const slots: SeriesRow[] = [];
  const hours = new Map<string, SeriesRow>();
  for (const d of minutes) {
    if (!d.series) continue;
    for (const [sk, count] of Object.entries(d.series)) {
      const bar = sk.indexOf("|");
      const key = sk.slice(bar + 1);
      slots.push({
        workspaceId: d.workspaceId,
        start: d.minute + Number(sk.slice(0, bar)) * SLOT_MS,
        key,
        count,
      });
      const hour = hourOf(d.minute);
      const hk = `${d.workspaceId}|${hour}|${key}`;
      const h = hours.get(hk);
      if (h) h.count += count;
      else hours.set(hk, { workspaceId: d.workspaceId, start: hour, key, count });
    }
  }
  const order = (a: SeriesRow, b: SeriesRow) =>
    a.workspaceId < b.workspaceId
      ? -1
      : a.workspaceId > b.workspaceId
        ? 1
        : a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return { slots: slots.sort(order), hours: [...hours.values()].sort(order) };
}
