/**
 * The wire shape of one rollup row: what `GET /v1/metrics` lists and the live feed's `metrics`
 * message carries, so the two never disagree.
 */
import { isoTime } from "../domain/time.js";
import type { MetricsRow } from "../storage/storage.js";
import { percentile } from "./histogram.js";

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 1e6) / 1e6);

/**
 * `excludeFlagged` (the workspace's `flagged_conversions: "exclude"`): conversions and value
 * leave out the flagged ones, which `flagged` still counts.
 */
export function metricsJson(r: MetricsRow, excludeFlagged = false) {
  const conversions = excludeFlagged ? r.conversions - r.flagged : r.conversions;
  const value = excludeFlagged ? r.value - r.flagged_value : r.value;
  return {
    start: isoTime(r.start),
    received: r.received,
    accepted: r.accepted,
    conversions,
    value: Math.round(value * 1e6) / 1e6,
    clicks: r.clicks,
    impressions: r.impressions,
    conversion_rate: ratio(conversions, r.clicks),
    flagged: r.flagged,
    flagged_clicks: r.flagged_clicks,
    duplicates: r.duplicates,
    dedup_rate: ratio(r.duplicates, r.accepted + r.duplicates),
    rejected: r.rejected,
    error_rate: ratio(r.rejected, r.received),
    latency_ms_p50: percentile(r.latency, 0.5),
    latency_ms_p95: percentile(r.latency, 0.95),
    pipeline_ms_p50: percentile(r.pipeline, 0.5),
    pipeline_ms_p95: percentile(r.pipeline, 0.95),
  };
}
