/**
 * Per-destination figures for `GET /v1/destinations/stats`: counts by status of the
 * deliveries created since `from`, delivery latency (row written → platform accepted)
 * percentiles, and the most recent error.
 */
import type { DeliveryStatus, DestinationRecord, Store } from "../storage/storage.js";
import type { DestinationExtras } from "../storage/monitoring-store.js";

type StatRow = Awaited<ReturnType<Store["deliveryStats"]>>[number];

export interface DestinationStats {
  id: string;
  name: string;
  type: string;
  /** Deliveries attempted at least once. */
  sent: number;
  delivered: number;
  failed: number;
  dead: number;
  pending: number;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  /** delivered / (delivered + failed + dead); null when none finished. */
  acceptance_rate: number | null;
  /** Mean match quality (0–10) of the events routed to it. */
  match_quality_avg: number | null;
  last_error: string | null;
}

/**
 * Nearest-rank percentile; null for no values.
 *
 * @example
 * percentile([30, 10, 20, 40], 0.5); // 20
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function destinationStats(
  destinations: DestinationRecord[],
  rows: StatRow[],
  extras: readonly DestinationExtras[] = [],
): DestinationStats[] {
  return destinations.map((d) => {
    const extra = extras.find((e) => e.destinationId === d.id);
    const mine = rows.filter((r) => r.destinationId === d.id);
    const count = (s: DeliveryStatus) => mine.filter((r) => r.status === s).reduce((n, r) => n + r.count, 0);
    const latencies = mine.flatMap((r) => r.latencies);
    return {
      id: d.id,
      name: d.name,
      type: d.type,
      sent: extra?.sent ?? 0,
      delivered: count("delivered"),
      failed: count("failed"),
      dead: count("dead"),
      pending: count("pending"),
      latency_ms_p50: percentile(latencies, 0.5),
      latency_ms_p95: percentile(latencies, 0.95),
      acceptance_rate: acceptance(count("delivered"), count("failed"), count("dead")),
      match_quality_avg: extra?.matchQualityAvg ?? null,
      last_error: mine.find((r) => r.lastError !== null)?.lastError ?? null,
    };
  });
}

function acceptance(delivered: number, failed: number, dead: number): number | null {
  const done = delivered + failed + dead;
  return done === 0 ? null : delivered / done;
}
