/**
 * Tracking-health alerts: the seed's "tracking broke" versus "sales dropped". Pure rules over
 * the per-minute rollups of one workspace; `AlertRules` remembers what it already raised so a
 * condition alerts once per quiet period, not every minute.
 *
 * - `error_rate`: a fifth or more of the last complete minute's events were rejected.
 * - `tracking_silent`: events stopped arriving after a steady flow — a broken tag or
 *   integration, not a bad sales day (conversions alone can drop for business reasons).
 * - `dedup_rate`: half or more of the events are duplicates — usually the same order sent
 *   twice without a shared event_id, or a client retrying without one.
 */
import type { MetricsRow } from "../storage/storage.js";
import { MINUTE_MS } from "../domain/time.js";

export interface Alert {
  rule: "error_rate" | "tracking_silent" | "dedup_rate";
  message: string;
}

export const ALERT_THRESHOLDS = {
  minEvents: 20,
  errorRate: 0.2,
  dedupRate: 0.5,
  silentMinutes: 5,
  baselineMinutes: 30,
  baselinePerMinute: 10,
} as const;

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Rules over complete minutes, oldest first (the current, partial minute excluded). */
export function evaluateAlerts(minutes: readonly MetricsRow[]): Alert[] {
  const t = ALERT_THRESHOLDS;
  const out: Alert[] = [];
  const last = minutes[minutes.length - 1];
  if (!last) return out;
  if (last.received >= t.minEvents && last.rejected / last.received >= t.errorRate) {
    out.push({
      rule: "error_rate",
      message: `${pct(last.rejected / last.received)} of events were rejected in the last minute (${last.rejected} of ${last.received}): open the test-events view to see why.`,
    });
  }
  const seen = last.accepted + last.duplicates;
  if (seen >= t.minEvents && last.duplicates / seen >= t.dedupRate) {
    out.push({
      rule: "dedup_rate",
      message: `${pct(last.duplicates / seen)} of events in the last minute were duplicates: check that the browser and server copies share an event_id and that retries reuse it.`,
    });
  }
  const recent = minutes.slice(-t.silentMinutes);
  const before = minutes.slice(-(t.silentMinutes + t.baselineMinutes), -t.silentMinutes);
  if (recent.length === t.silentMinutes && before.length === t.baselineMinutes) {
    const baseline = before.reduce((s, m) => s + m.received, 0) / before.length;
    if (baseline >= t.baselinePerMinute && recent.every((m) => m.received === 0)) {
      out.push({
        rule: "tracking_silent",
        message: `No events for ${t.silentMinutes} minutes after ${Math.round(baseline)} a minute on average: the tag or an integration may be broken.`,
      });
    }
  }
  return out;
}

/** Raises each rule once per workspace until it has been quiet for `quietMs`. */
export class AlertRules {
  private readonly lastRaised = new Map<string, number>();
  constructor(private readonly quietMs = 15 * MINUTE_MS) {}

  check(workspaceId: string, minutes: readonly MetricsRow[], now: number): Alert[] {
    const fresh: Alert[] = [];
    for (const a of evaluateAlerts(minutes)) {
      const key = `${workspaceId}|${a.rule}`;
      const at = this.lastRaised.get(key);
      if (at === undefined || now - at >= this.quietMs) fresh.push(a);
      this.lastRaised.set(key, now);
    }
    return fresh;
  }
}
