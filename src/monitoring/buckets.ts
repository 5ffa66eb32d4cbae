/** Turns rollup rows (per minute or hour) into the buckets `/v1/metrics` answers, zeros included. */
import type { Bucket, MetricsRow } from "../storage/storage.js";
import { emptyHistogram } from "./histogram.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../domain/time.js";

export const BUCKET_MS: Record<Bucket, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

export function bucketStart(ms: number, bucket: Bucket): number {
  return ms - (ms % BUCKET_MS[bucket]);
}

export function emptyRow(start: number): MetricsRow {
  return {
    start,
    received: 0,
    accepted: 0,
    conversions: 0,
    value: 0,
    duplicates: 0,
    rejected: 0,
    clicks: 0,
    impressions: 0,
    flagged: 0,
    flagged_value: 0,
    flagged_clicks: 0,
    latency: emptyHistogram(),
    pipeline: emptyHistogram(),
  };
}

/** Sums source rows into buckets covering [from, to), one row per bucket, in time order. */
export function aggregateBuckets(
  source: Iterable<MetricsRow>,
  from: number,
  to: number,
  bucket: Bucket,
): MetricsRow[] {
  const size = BUCKET_MS[bucket];
  const first = bucketStart(from, bucket);
  const out: MetricsRow[] = [];
  for (let s = first; s < to; s += size) out.push(emptyRow(s));
  for (const r of source) {
    const i = Math.floor((r.start - first) / size);
    const b = out[i];
    if (!b) continue;
    b.received += r.received;
    b.accepted += r.accepted;
    b.conversions += r.conversions;
    b.value += r.value;
    b.duplicates += r.duplicates;
    b.rejected += r.rejected;
    b.clicks += r.clicks;
    b.impressions += r.impressions;
    b.flagged += r.flagged;
    b.flagged_value += r.flagged_value;
    b.flagged_clicks += r.flagged_clicks;
    // In place: a 30-day minute query sums tens of thousands of rows.
    addInto(b.latency, r.latency);
    addInto(b.pipeline, r.pipeline);
  }
  return out;
}

function addInto(target: number[], source: readonly number[]): void {
  for (let i = 0; i < source.length && i < target.length; i++) target[i]! += source[i] ?? 0;
}
