/**
 * The Performance view: spend, conversions, value, CPA and ROAS per platform, campaign or ad
 * (GET /v1/reports/performance), sortable, re-read a moment after each conversion of the live
 * feed arrives (no reload) and every 10 s, with spend against value per day. `rules` is the
 * slot where the rules and their last signals are shown.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, credit, money } from "./format.js";
import { SpendValueChart, type DayPoint } from "./performance-chart.js";
import { MODELS, type GroupBy, type MetricsBucket, type ModelName, type WorkspaceSettings } from "./types.js";

interface Figures {
  spend: number;
  impressions: number;
  clicks: number;
  conversions: number;
  value: number;
  cpa: number | null;
  roas: number | null;
}
export interface PerformanceRow extends Figures {
  key: string;
  platform: string;
  campaign?: string;
}
export interface PerformanceReport {
  model: ModelName;
  group_by: GroupBy;
  currency: string;
  rows: PerformanceRow[];
  totals: Figures;
  other_currencies: Record<string, { spend: number; conversions: number; value: number }>;
  daily?: { date: string; spend: number }[];
}

type SortKey = "platform" | "campaign" | "key" | "spend" | "conversions" | "value" | "cpa" | "roas";

const GROUPS: { id: GroupBy; label: string }[] = [
  { id: "platform", label: "Platform" },
  { id: "campaign", label: "Campaign" },
  { id: "ad", label: "Ad" },
];
const RANGES = [
  { id: "1d", label: "Today", days: 1 },
  { id: "7d", label: "Last 7 days", days: 7 },
  { id: "30d", label: "Last 30 days", days: 30 },
  { id: "90d", label: "Last 90 days", days: 90 },
];
/** After a conversion arrives, the report is read again this soon (several arrivals share one read). */
const LIVE_DELAY_MS = 150;
const DAY = 86_400_000;

function sortRows(rows: PerformanceRow[], key: SortKey, dir: 1 | -1): PerformanceRow[] {
  const val = (r: PerformanceRow): string | number | null =>
    key === "campaign" ? (r.campaign ?? "") : r[key];
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    // Missing ratios (no conversions, no spend) go last whichever way.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  });
}

export function PerformanceTab({
  workspaceId,
  ws,
  lastConversionAt,
  rules,
}: {
  workspaceId: string;
  ws: WorkspaceSettings | null;
  /** Changes when a conversion arrives on the live feed. */
  lastConversionAt: number | null;
  /** The rules and signals panels, when there are some. */
  rules?: ComponentChildren;
}) {
  const [model, setModel] = useState<ModelName>("last_click");
  const [groupBy, setGroupBy] = useState<GroupBy>("campaign");
  const [range, setRange] = useState("7d");
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: "spend", dir: -1 });
  const [report, setReport] = useState<PerformanceReport | null>(null);
  const [values, setValues] = useState<MetricsBucket[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useRef<() => void>(() => {});

  useEffect(() => {
    let alive = true;
    const days = RANGES.find((r) => r.id === range)!.days;
    const load = () => {
      const now = Date.now();
      const from = new Date(now - days * DAY).toISOString();
      const q = `model=${model}&group_by=${groupBy}&from=${encodeURIComponent(from)}&series=day`;
      Promise.all([
        api.get<PerformanceReport>(`/v1/reports/performance?${q}`, workspaceId),
        api.get<{ buckets: MetricsBucket[] }>(
          `/v1/metrics?bucket=day&from=${encodeURIComponent(from)}`,
          workspaceId,
        ),
      ]).then(
        ([r, m]) => {
          if (!alive) return;
          setReport(r);
          setValues(m.buckets);
          setError(null);
        },
        (err: unknown) =>
          alive && setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
      );
    };
    reload.current = load;
    load();
    const t = window.setInterval(load, 10_000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [workspaceId, model, groupBy, range]);

  // A conversion on the live feed: read the report again shortly (CPA and ROAS move).
  useEffect(() => {
    if (lastConversionAt === null) return;
    const t = window.setTimeout(() => reload.current(), LIVE_DELAY_MS);
    return () => clearTimeout(t);
  }, [lastConversionAt]);

  const currency = report?.currency ?? ws?.currency ?? "USD";
  const rows = useMemo(
    () => (report ? sortRows(report.rows, sort.key, sort.dir) : []),
    [report, sort.key, sort.dir],
  );
  const points = useMemo<DayPoint[]>(() => {
    const byDay = new Map<number, DayPoint>();
    for (const d of report?.daily ?? []) {
      const start = Date.parse(`${d.date}T00:00:00Z`);
      byDay.set(start, { start, spend: d.spend, value: 0 });
    }
    for (const b of values) {
      const start = Date.parse(b.start);
      const p = byDay.get(start) ?? { start, spend: 0, value: 0 };
      p.value += b.value;
      byDay.set(start, p);
    }
    return [...byDay.values()].sort((a, b) => a.start - b.start);
  }, [report, values]);

  const columns: { key: SortKey; label: string; num?: boolean }[] = [
    { key: "platform", label: "Platform" },
    ...(groupBy === "ad" ? [{ key: "campaign" as const, label: "Campaign" }] : []),
    ...(groupBy === "platform" ? [] : [{ key: "key" as const, label: groupBy === "ad" ? "Ad" : "Campaign" }]),
    { key: "spend", label: "Spend", num: true },
    { key: "conversions", label: "Conversions", num: true },
    { key: "value", label: "Value", num: true },
    { key: "cpa", label: "CPA", num: true },
    { key: "roas", label: "ROAS", num: true },
  ];
  const onSort = (key: SortKey) =>
    setSort((s) =>
      s.key === key
        ? { key, dir: s.dir === 1 ? -1 : 1 }
        : { key, dir: key === "platform" || key === "campaign" || key === "key" ? 1 : -1 },
    );
  const roas = (r: number | null) => (r === null ? "—" : `${r.toFixed(2)}×`);

  return (
    <div class="stack">
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Attribution model">
          {MODELS.map((m) => (
            <button
              key={m.id}
              type="button"
              class="seg"
              aria-pressed={m.id === model}
              title={m.hint}
              onClick={() => setModel(m.id)}
            >
              {m.label}
            </button>
          ))}
        </div>
        <div class="toolbar-end">
          <label class="field field-inline">
            <span>Group by</span>
            <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as GroupBy)}>
              {GROUPS.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.label}
                </option>
              ))}
            </select>
          </label>
          <label class="field field-inline">
            <span>Period</span>
            <select value={range} onChange={(e) => setRange(e.currentTarget.value)}>
              {RANGES.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <SpendValueChart points={points} currency={currency} />
      <section class="card" aria-labelledby="perf-title">
        <div class="card-head">
          <h2 id="perf-title">
            Performance <span class="muted">by {groupBy}</span>
          </h2>
          <span class="muted small">
            Spend by day; conversions and value credited by {MODELS.find((m) => m.id === model)!.label}.
          </span>
        </div>
        {report && report.rows.length === 0 ? (
          <div class="empty empty-inline">
            <h3>No spend and no conversions in this period</h3>
            <p>
              Send spend with <code>POST /v1/spend</code>, import a CSV with <code>tally import spend</code>,
              or connect a spend source (<code>POST /v1/spend-sources</code>).
            </p>
          </div>
        ) : (
          <div class="table-wrap">
            <table class="table report" aria-label={`Performance by ${groupBy}`}>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th
                      key={c.key}
                      scope="col"
                      class={c.num ? "num" : undefined}
                      aria-sort={sort.key === c.key ? (sort.dir === 1 ? "ascending" : "descending") : "none"}
                    >
                      <button type="button" class="sort" onClick={() => onSort(c.key)}>
                        {c.label}
                        {sort.key === c.key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr
                    key={`${r.platform}|${r.campaign ?? ""}|${r.key}`}
                    data-key={r.key}
                    data-platform={r.platform}
                  >
                    <th scope="row" class="key-cell">
                      {r.platform}
                    </th>
                    {groupBy === "ad" && <td>{r.campaign}</td>}
                    {groupBy !== "platform" && <td class="key-cell">{r.key}</td>}
                    <td class="num" data-col="spend">
                      {money(r.spend, currency)}
                    </td>
                    <td class="num" data-col="conversions">
                      {credit(r.conversions)}
                    </td>
                    <td class="num" data-col="value">
                      {money(r.value, currency)}
                    </td>
                    <td class="num" data-col="cpa">
                      {money(r.cpa, currency)}
                    </td>
                    <td class="num" data-col="roas">
                      {roas(r.roas)}
                    </td>
                  </tr>
                ))}
              </tbody>
              {report && (
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    {groupBy === "ad" && <td />}
                    {groupBy !== "platform" && <td />}
                    <td class="num">{money(report.totals.spend, currency)}</td>
                    <td class="num">{credit(report.totals.conversions)}</td>
                    <td class="num">{money(report.totals.value, currency)}</td>
                    <td class="num">{money(report.totals.cpa, currency)}</td>
                    <td class="num">{roas(report.totals.roas)}</td>
                  </tr>
                </tfoot>
              )}
            </table>
          </div>
        )}
        {report && Object.keys(report.other_currencies).length > 0 && (
          <p class="small muted pad">
            Also in other currencies (not converted):{" "}
            {Object.entries(report.other_currencies)
              .map(
                ([cur, v]) =>
                  `${money(v.spend, cur)} spent, ${count(v.conversions)} conversions, ${money(v.value, cur)}`,
              )
              .join("; ")}
          </p>
        )}
      </section>
      {rules}
    </div>
  );
}
