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

/**
 * A share of the window's events (`part` of `whole`, each named for the alert's details) as
 * one condition on the whole workspace once it reaches the threshold with at least
 * `min_count` in the whole: error_rate, dedup_rate and identity_conflicts are this.
 */
function shareOfEvents(
  s: RuleSettings,
  kind: Condition["kind"],
  diagnosis: Condition["diagnosis"],
  [partName, part]: [string, number],
  [wholeName, whole]: [string, number],
  message: (rate: string) => string,
): Condition[] {
  if (whole < s.min_count || part / whole < s.threshold) return [];
  const rate = part / whole;
  return [
    {
      kind,
      subject: "total",
      severity: s.severity,
      diagnosis,
      message: message(pct(rate)),
      details: { [partName]: part, [wholeName]: whole, rate, window_seconds: s.window_seconds },
    },
  ];
}

export function errorRate(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const received = v.window(totalKey("received"), w);
  const rejected = v.window(totalKey("rejected"), w);
  return shareOfEvents(
    s,
    "error_rate",
    "tracking_broken",
    ["rejected", rejected],
    ["received", received],
    (rate) =>
      `${rate} of events were rejected in the last ${s.window_seconds} s (${rejected} of ${received}): open the test-events view to see why.`,
  );
}

export function dedupRate(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const duplicates = v.window(totalKey("duplicates"), w);
  const seen = v.window(totalKey("accepted"), w) + duplicates;
  return shareOfEvents(
    s,
    "dedup_rate",
    "duplicate_sending",
    ["duplicates", duplicates],
    ["seen", seen],
    (rate) =>
      `${rate} of events in the last ${s.window_seconds} s were duplicates: check that the browser and server copies share an event_id and that retries reuse it.`,
  );
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
  return shareOfEvents(
    s,
    "identity_conflicts",
    "tracking_broken",
    ["conflicts", conflicts],
    ["accepted", accepted],
    (rate) =>
      `${rate} of events in the last ${s.window_seconds} s (${conflicts} of ${accepted}) carried an identifier already linked to another customer: an integration may send one email, phone or device id for many people.`,
  );
}
