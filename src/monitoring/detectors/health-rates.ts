/**
 * The three health rules Tally always had, now over settable windows of the 10-second series:
 *
 * - `error_rate`: rejected / received over the window ≥ threshold, with at least `min_count` received;
 * - `dedup_rate`: duplicates / (accepted + duplicates) ≥ threshold, with at least `min_count` of them;
 * - `tracking_silent`: nothing received over the window after at least `threshold` events a
 *   minute over the baseline before it — a broken tag or integration, not a bad sales day;
 * - `identity_conflicts`: accepted events an identifier of which the merge limits kept apart,
 *   over accepted events, ≥ threshold with at least `min_count` accepted — one email, phone or
 *   anonymous id sent for people with different external ids (a placeholder such as
 *   `test@example.com`, a device id that is not per device), which would otherwise merge them.
 */
import type { RuleSettings } from "../alert-settings.js";
import type { SeriesView } from "../series-book.js";
import { IDENTITY_CONFLICTS_KEY, totalKey } from "../series.js";
import type { Condition } from "./condition.js";

const pct = (x: number): string => `${Math.round(x * 100)}%`;

export function errorRate(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const received = v.window(totalKey("received"), w);
  const rejected = v.window(totalKey("rejected"), w);
  if (received < s.min_count || rejected / received < s.threshold) return [];
  return [
    {
      kind: "error_rate",
      subject: "total",
      severity: s.severity,
      diagnosis: "tracking_broken",
      message: `${pct(rejected / received)} of events were rejected in the last ${s.window_seconds} s (${rejected} of ${received}): open the test-events view to see why.`,
      details: { rejected, received, rate: rejected / received, window_seconds: s.window_seconds },
    },
  ];
}

export function dedupRate(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const duplicates = v.window(totalKey("duplicates"), w);
  const seen = v.window(totalKey("accepted"), w) + duplicates;
  if (seen < s.min_count || duplicates / seen < s.threshold) return [];
  return [
    {
      kind: "dedup_rate",
      subject: "total",
      severity: s.severity,
      diagnosis: "duplicate_sending",
      message: `${pct(duplicates / seen)} of events in the last ${s.window_seconds} s were duplicates: check that the browser and server copies share an event_id and that retries reuse it.`,
      details: { duplicates, seen, rate: duplicates / seen, window_seconds: s.window_seconds },
    },
  ];
}

export function trackingSilent(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const b = s.baseline_seconds * 1000;
  if (b <= 0 || !v.hasRecent(w, b)) return [];
  const key = totalKey("received");
  const before = v.sum(key, v.end - w - b, v.end - w);
  const perMinute = (before * 60_000) / b;
  if (perMinute < s.threshold || v.window(key, w) > 0) return [];
  return [
    {
      kind: "tracking_silent",
      subject: "total",
      severity: s.severity,
      diagnosis: "tracking_broken",
      message: `No events for ${s.window_seconds} s after ${Math.round(perMinute)} a minute on average: the tag or an integration may be broken.`,
      details: { per_minute_before: perMinute, window_seconds: s.window_seconds },
    },
  ];
}

export function identityConflicts(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const conflicts = v.window(IDENTITY_CONFLICTS_KEY, w);
  const accepted = v.window(totalKey("accepted"), w);
  if (accepted < s.min_count || conflicts / accepted < s.threshold) return [];
  return [
    {
      kind: "identity_conflicts",
      subject: "total",
      severity: s.severity,
      diagnosis: "tracking_broken",
      message: `${pct(conflicts / accepted)} of events in the last ${s.window_seconds} s (${conflicts} of ${accepted}) carried an identifier already linked to another customer: an integration may send one email, phone or device id for many people.`,
      details: { conflicts, accepted, rate: conflicts / accepted, window_seconds: s.window_seconds },
    },
  ];
}
