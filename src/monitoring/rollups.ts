/**
 * The rollups: counters and latency histograms per workspace and minute (and hour), by arrival
 * time, so `/v1/metrics` never scans raw events. Their names are written here once, and
 * `RollupAccumulator` is the one place deltas are summed in memory: the ingest pipeline, the
 * commit core, the latency recorder and both backends' group commits use it, so a transaction
 * writes each (workspace, minute) row once.
 */
import { HOUR_MS, MINUTE_MS } from "../domain/time.js";
import { emptyHistogram, mergeHistograms, record } from "./histogram.js";

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
}

export function minuteOf(ms: number): number {
  return ms - (ms % MINUTE_MS);
}

export function hourOf(ms: number): number {
  return ms - (ms % HOUR_MS);
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

  /** Adds counters and histograms (bucket by bucket) into the workspace's minute of `at`. */
  add(workspaceId: string, at: number, delta: Omit<RollupDelta, "workspaceId" | "minute">): void {
    const d = this.row(workspaceId, minuteOf(at));
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
    for (const { workspaceId, minute, ...rest } of deltas) this.add(workspaceId, minute, rest);
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

/** Minute deltas summed per (workspace, hour): what `rollups_hour` gets. */
export function hourlyOf(minutes: readonly RollupDelta[]): RollupDelta[] {
  const acc = new RollupAccumulator();
  for (const { workspaceId, minute, ...rest } of minutes) acc.add(workspaceId, hourOf(minute), rest);
  return acc.drain();
}
