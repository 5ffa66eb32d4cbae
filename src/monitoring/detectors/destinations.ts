/**
 * destination_failing and destination_slow, per destination, over the deliveries created in
 * the window: acceptance rate (delivered / (delivered + failed + dead)) under the threshold,
 * or p95 latency (received → accepted by the platform) over it; each with at least
 * `min_count` finished deliveries.
 */
import type { RuleSettings } from "../alert-settings.js";
import type { Condition } from "./condition.js";

export interface DestinationWindow {
  id: string;
  name: string;
  type: string;
  delivered: number;
  failed: number;
  dead: number;
  p95: number | null;
  lastError: string | null;
}

export function destinationFailing(list: readonly DestinationWindow[], s: RuleSettings): Condition[] {
  const out: Condition[] = [];
  for (const d of list) {
    const done = d.delivered + d.failed + d.dead;
    if (done < s.min_count) continue;
    const rate = d.delivered / done;
    if (rate >= s.threshold) continue;
    out.push({
      kind: "destination_failing",
      subject: d.id,
      severity: s.severity,
      diagnosis: "destination_problem",
      message: `${d.name} (${d.type}) accepted ${Math.round(rate * 100)}% of ${done} deliveries in the last ${s.window_seconds} s${d.lastError ? `; last error: ${d.lastError.slice(0, 200)}` : ""}.`,
      details: {
        destination_id: d.id,
        type: d.type,
        acceptance_rate: rate,
        delivered: d.delivered,
        failed: d.failed,
        dead: d.dead,
        last_error: d.lastError,
        window_seconds: s.window_seconds,
      },
    });
  }
  return out;
}

export function destinationSlow(list: readonly DestinationWindow[], s: RuleSettings): Condition[] {
  const out: Condition[] = [];
  for (const d of list) {
    if (d.delivered < s.min_count || d.p95 === null || d.p95 <= s.threshold) continue;
    out.push({
      kind: "destination_slow",
      subject: d.id,
      severity: s.severity,
      diagnosis: "destination_problem",
      message: `${d.name} (${d.type}) took ${Math.round(d.p95 / 1000)} s at the 95th percentile to accept events in the last ${s.window_seconds} s (line: ${Math.round(s.threshold / 1000)} s).`,
      details: {
        destination_id: d.id,
        type: d.type,
        latency_ms_p95: d.p95,
        window_seconds: s.window_seconds,
      },
    });
  }
  return out;
}
