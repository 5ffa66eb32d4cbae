/**
 * Per-destination figures for `GET /v1/destinations/stats`: counts by status of the
 * deliveries created since `from`, delivery latency (row written → platform accepted)
 * percentiles, and the most recent error.
 */
import type { DeliveryStatus, DestinationRecord, Store } from "../storage/storage.js";

type StatRow = Awaited<ReturnType<Store["deliveryStats"]>>[number];

export interface DestinationStats {
  id: string;
  name: string;
  type: string;
  delivered: number;
  failed: number;
  dead: number;
  pending: number;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
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

export function destinationStats(destinations: DestinationRecord[], rows: StatRow[]): DestinationStats[] {
  return destinations.map((d) => {
    const mine = rows.filter((r) => r.destinationId === d.id);
    const count = (s: DeliveryStatus) => mine.filter((r) => r.status === s).reduce((n, r) => n + r.count, 0);
    const latencies = mine.flatMap((r) => r.latencies);
    return {
      id: d.id,
      name: d.name,
      type: d.type,
      delivered: count("delivered"),
      failed: count("failed"),
      dead: count("dead"),
      pending: count("pending"),
      latency_ms_p50: percentile(latencies, 0.5),
      latency_ms_p95: percentile(latencies, 0.95),
      last_error: mine.find((r) => r.lastError !== null)?.lastError ?? null,
    };
  });
}
