/**
 * The series an alert fired on, for its chart (`GET /v1/alerts/{id}/series`): which counters
 * of `series_10s` / `series_hour` each kind reads, over which stretch around the alert, in
 * steps small enough to see the change and few enough to draw (at most ~240 points).
 *
 * A `tracking_broken` drop is drawn with the peers that kept their pace, and a
 * `traffic_dropped` one with every series that fell: the picture is the diagnosis.
 */
import type { AlertRecord, MonitoringStore, SeriesRow } from "../storage/monitoring-store.js";
import { fieldKey, IDENTITY_CONFLICTS_KEY, nameKey, SLOT_MS, sourceKey, totalKey } from "./series.js";

export interface ChartSeries {
  key: string;
  label: string;
  /** The series the alert is about (the others are context: peers, totals). */
  fired: boolean;
}

export interface AlertChartPlan {
  series: ChartSeries[];
  from: number;
  to: number;
  stepMs: number;
  table: "slots" | "hours";
  /** The baseline's expected count per step, when the alert has one. */
  expectedPerStep: number | null;
}

const HOUR = 3_600_000;
const MAX_POINTS = 240;
/** `series_10s` is kept two days; older stretches are drawn from the hours. */
const SLOTS_KEPT_MS = 47 * HOUR;

const str = (x: unknown): string | null => (typeof x === "string" ? x : null);
const strs = (x: unknown): string[] =>
  Array.isArray(x) ? x.filter((v): v is string => typeof v === "string") : [];

/** The keys a kind's alert is drawn from; none for destinations (their figures are in details). */
export function chartSeriesOf(kind: string, details: Record<string, unknown>): ChartSeries[] {
  const src = str(details.source);
  const name = str(details.event_name);
  switch (kind) {
    case "volume_drop":
    case "volume_spike": {
      if (src)
        return [
          { key: sourceKey(src), label: `source ${src}`, fired: true },
          ...strs(details.keeping_pace).map((p) => ({
            key: sourceKey(p),
            label: `source ${p}`,
            fired: false,
          })),
        ];
      if (name)
        return [
          { key: nameKey(name), label: name, fired: true },
          ...strs(details.keeping_pace).map((p) => ({ key: nameKey(p), label: p, fired: false })),
        ];
      const fell = Array.isArray(details.series)
        ? (details.series as { dimension?: unknown; value?: unknown }[]).flatMap((x) => {
            const v = str(x.value);
            if (!v) return [];
            return x.dimension === "source"
              ? [{ key: sourceKey(v), label: `source ${v}`, fired: true }]
              : [{ key: nameKey(v), label: v, fired: true }];
          })
        : [];
      return [{ key: totalKey("accepted"), label: "all accepted events", fired: fell.length === 0 }, ...fell];
    }
    case "schema_drift":
      if (!name) return [];
      return [
        { key: nameKey(name), label: `${name} events`, fired: false },
        ...[...strs(details.vanished), ...strs(details.appeared)]
          .slice(0, 4)
          .map((f) => ({ key: fieldKey(name, f), label: `with ${f}`, fired: true })),
      ];
    case "value_anomaly":
      return name ? [{ key: nameKey(name), label: `${name} events`, fired: true }] : [];
    case "tracking_silent":
      return [{ key: totalKey("received"), label: "events received", fired: true }];
    case "error_rate":
      return [
        { key: totalKey("received"), label: "received", fired: false },
        { key: totalKey("rejected"), label: "rejected", fired: true },
      ];
    case "dedup_rate":
      return [
        { key: totalKey("accepted"), label: "accepted", fired: false },
        { key: totalKey("duplicates"), label: "duplicates", fired: true },
      ];
    case "identity_conflicts":
      return [
        { key: totalKey("accepted"), label: "accepted", fired: false },
        { key: IDENTITY_CONFLICTS_KEY, label: "with a conflicting identifier", fired: true },
      ];
    default:
      return [];
  }
}

/** What to read for an alert's chart at `now`: the window before it started, the alert, a little after. */
export function planAlertChart(alert: AlertRecord, now: number): AlertChartPlan {
  const d = alert.details;
  const windowMs = (typeof d.window_seconds === "number" ? d.window_seconds : 300) * 1000;
  const before = Math.min(6 * HOUR, Math.max(5 * 60_000, 6 * windowMs));
  const end = alert.resolvedAt ?? now;
  const to = Math.min(now, end + Math.max(5 * 60_000, windowMs)) + 1;
  const from = alert.startedAt - before;
  const table = from < now - SLOTS_KEPT_MS ? "hours" : "slots";
  const unit = table === "hours" ? HOUR : SLOT_MS;
  const stepMs = Math.max(unit, Math.ceil((to - from) / MAX_POINTS / unit) * unit);
  const expected = typeof d.expected === "number" ? (d.expected * stepMs) / windowMs : null;
  return {
    series: chartSeriesOf(alert.kind, d),
    from: from - (from % stepMs),
    to,
    stepMs,
    table,
    expectedPerStep: expected === null ? null : Math.round(expected * 100) / 100,
  };
}

/** Rows summed into the plan's steps: aligned arrays, zeros where nothing was counted. */
export function chartOf(
  plan: AlertChartPlan,
  rows: readonly SeriesRow[],
): { starts: number[]; counts: number[][] } {
  const starts: number[] = [];
  for (let s = plan.from; s < plan.to; s += plan.stepMs) starts.push(s);
  const index = new Map(plan.series.map((x, i) => [x.key, i]));
  const counts = plan.series.map(() => new Array<number>(starts.length).fill(0));
  for (const r of rows) {
    const i = index.get(r.key);
    const k = Math.floor((r.start - plan.from) / plan.stepMs);
    if (i === undefined || k < 0 || k >= starts.length) continue;
    counts[i]![k]! += r.count;
  }
  return { starts, counts };
}

/** An alert's chart at `now` (GET /v1/alerts/{id}/series): its plan, and the counts read for it. */
export async function readAlertChart(
  monitoring: Pick<MonitoringStore, "workspaceSeries">,
  alert: AlertRecord,
  now: number,
): Promise<{ plan: AlertChartPlan; starts: number[]; counts: number[][] }> {
  const plan = planAlertChart(alert, now);
  const rows = await monitoring.workspaceSeries(
    alert.workspaceId,
    plan.series.map((x) => x.key),
    plan.from,
    plan.to,
    plan.table,
  );
  return { plan, ...chartOf(plan, rows) };
}
