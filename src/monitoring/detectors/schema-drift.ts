/**
 * schema_drift, per event name: a field present in at least 95% of the name's events over the
 * baseline is in fewer than `threshold` (default half) of them over the window, or a field
 * never seen over the baseline is in most of them. Judged only with at least `min_count`
 * events of that name in the window and in the baseline.
 */
import type { RuleSettings } from "../alert-settings.js";
import type { SeriesView } from "../series-book.js";
import { nameKey } from "../series.js";
import type { Condition } from "./condition.js";

const USUAL = 0.95;

export function schemaDrift(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const b = s.baseline_seconds * 1000;
  const out: Condition[] = [];
  for (const nk of v.keys("n:")) {
    const name = nk.slice(2);
    const nWindow = v.window(nk, w);
    const nBase = v.baselineTotal(nameKey(name), w, b);
    if (nBase === null || nWindow < s.min_count || nBase < s.min_count) continue;
    const prefix = `f:${name}:`;
    const vanished: string[] = [];
    const appeared: string[] = [];
    for (const fk of v.keys(prefix)) {
      const field = fk.slice(prefix.length);
      const inBase = v.baselineTotal(fk, w, b) ?? 0;
      const inWindow = v.window(fk, w);
      if (inBase >= USUAL * nBase && inWindow < s.threshold * nWindow) vanished.push(field);
      else if (inBase === 0 && inWindow > 0.5 * nWindow) appeared.push(field);
    }
    if (vanished.length === 0 && appeared.length === 0) continue;
    const parts = [
      vanished.length ? `${vanished.join(", ")} went missing` : "",
      appeared.length ? `${appeared.join(", ")} appeared` : "",
    ].filter(Boolean);
    out.push({
      kind: "schema_drift",
      subject: `event_name:${name}`,
      severity: s.severity,
      diagnosis: "tracking_broken",
      message: `${name} events changed shape in the last ${s.window_seconds} s: ${parts.join("; ")}. An integration was changed or broke.`,
      details: { event_name: name, vanished, appeared, events: nWindow, window_seconds: s.window_seconds },
    });
  }
  return out;
}
