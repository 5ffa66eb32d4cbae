/**
 * The performance report of a workspace over [from, to): the store's sums, matched and divided
 * by `mergePerformance`. `GET /v1/reports/performance` answers with it; rules call it for
 * their trailing windows (`spend: "trailing"`).
 */
import type { GroupBy, ModelName } from "../attribution/index.js";
import type { Workspace } from "../domain/workspace.js";
import { dayStart, daysOverlapping, daysStartingIn, nextDate } from "../spend/days.js";
import type { Store } from "../storage/storage.js";
import type { SpendTotal } from "../storage/spend-store.js";
import { mergePerformance, type Performance } from "./merge.js";

export interface PerformanceQuery {
  from: number | null;
  to: number | null;
  model: ModelName;
  groupBy: GroupBy;
  /**
   * Which spend rows count. `days` (the report): each row of a day whose start is in
   * [from, to), in full. `trailing` (rules, API.md "Rules and signals"): every day [from, to)
   * overlaps, weighted by the fraction of its hours inside the window — except the day that
   * holds `to - 1` when it is today, which counts in full (its row is the spend so far).
   * `trailing` needs both `from` and `to`.
   */
  spend?: "days" | "trailing";
  /** Now, for `trailing` (default Date.now()). */
  now?: number;
  /** Also the spend of each day in the workspace currency (`daily`), for charts. */
  daily?: boolean;
}

export interface PerformanceReport extends Performance {
  model: ModelName;
  group_by: GroupBy;
  currency: string;
  /** With `daily`: spend per day (in the workspace currency), oldest first. */
  daily?: { date: string; spend: number }[];
}

/**
 * @example
 * const r = await performanceRows(store, ws, { from: Date.now() - 24 * HOUR_MS, to: Date.now(),
 *   model: "last_click", groupBy: "campaign", spend: "trailing" });
 * r.rows; // [{ key: "Brand", platform: "meta", spend: 60, conversions: 2, cpa: 30, roas: 1.5, … }]
 */
export async function performanceRows(
  store: Store,
  ws: Pick<Workspace, "id" | "currency" | "timezone"> & Partial<Pick<Workspace, "quality">>,
  q: PerformanceQuery,
): Promise<PerformanceReport> {
  const trailing = q.spend === "trailing" && q.from !== null && q.to !== null;
  const days = trailing
    ? daysOverlapping(q.from!, q.to!, ws.timezone)
    : daysStartingIn(q.from, q.to, ws.timezone);
  const [credits, spend] = await Promise.all([
    store.spend.creditTotals(ws.id, {
      from: q.from,
      to: q.to,
      model: q.model,
      groupBy: q.groupBy,
      excludeFlagged: ws.quality?.flaggedConversions === "exclude",
    }),
    days.fromDate <= days.toDate
      ? store.spend.totals(ws.id, { ...days, groupBy: q.groupBy, perDay: trailing })
      : Promise.resolve([] as SpendTotal[]),
  ]);
  const weight = trailing ? trailingWeight(q.from!, q.to!, ws.timezone, q.now ?? Date.now()) : undefined;
  const merged = mergePerformance(credits, spend, {
    groupBy: q.groupBy,
    currency: ws.currency,
    ...(weight ? { weight } : {}),
  });
  const report: PerformanceReport = { model: q.model, group_by: q.groupBy, currency: ws.currency, ...merged };
  if (q.daily && days.fromDate <= days.toDate) {
    const perDay = await store.spend.totals(ws.id, { ...days, groupBy: "platform", perDay: true });
    const sums = new Map<string, number>();
    for (const t of perDay)
      if (t.date !== null && t.currency.toUpperCase() === ws.currency.toUpperCase())
        sums.set(t.date, (sums.get(t.date) ?? 0) + t.spend);
    report.daily = [...sums]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([date, spend]) => ({ date, spend: Math.round(spend * 1e6) / 1e6 }));
  } else if (q.daily) report.daily = [];
  return report;
}

/** The share of a day's spend that falls inside [from, to): its hours inside, today in full. */
export function trailingWeight(from: number, to: number, tz: string, now: number): (t: SpendTotal) => number {
  const memo = new Map<string, number>();
  return (t) => {
    const date = t.date;
    if (date === null) return 1;
    let w = memo.get(date);
    if (w === undefined) {
      const start = dayStart(date, tz);
      const end = dayStart(nextDate(date), tz);
      if (now >= start && now < end && to > start) w = 1;
      else w = Math.max(0, Math.min(end, to) - Math.max(start, from)) / (end - start);
      memo.set(date, w);
    }
    return w;
  };
}
