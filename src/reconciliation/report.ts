/**
 * The reconciliation report from the store's sums: each 15-minute slice goes to its day or
 * month in the workspace's timezone (so a zone with a half-hour offset still splits at its
 * midnight), or the sums are per last-click platform; totals are the rows' sums. Pure.
 */
import { dateOf } from "../spend/days.js";
import {
  SLICE_MS,
  zeroReconcileTotals,
  type ReconcileSums,
  type ReconcileTotals,
} from "../storage/reconciliation-store.js";

export const RECONCILIATION_GROUPS = ["day", "month", "platform"] as const;
export type ReconciliationGroup = (typeof RECONCILIATION_GROUPS)[number];

export interface ReconciliationFigures {
  crm: { orders: number; value: number };
  tracked: { conversions: number; value: number };
  matched: { orders: number; crm_value: number; tracked_value: number };
  missing: { orders: number; value: number };
  unconfirmed: { conversions: number; value: number };
  value_mismatch: { orders: number; difference: number };
  refunded: { orders: number; value: number };
  /** matched / CRM orders; null without CRM orders. */
  match_rate: number | null;
}

export interface ReconciliationReport extends ReconciliationFigures {
  event_name: string;
  group_by: ReconciliationGroup;
  currency: string;
  rows: (ReconciliationFigures & { key: string })[];
}

const money = (n: number) => Math.round(n * 100) / 100;

function figures(s: ReconcileTotals): ReconciliationFigures {
  return {
    crm: { orders: s.crmOrders, value: money(s.crmValue) },
    tracked: { conversions: s.trackedConversions, value: money(s.trackedValue) },
    matched: {
      orders: s.matchedOrders,
      crm_value: money(s.matchedCrmValue),
      tracked_value: money(s.matchedTrackedValue),
    },
    missing: { orders: s.missingOrders, value: money(s.missingValue) },
    unconfirmed: { conversions: s.unconfirmedConversions, value: money(s.unconfirmedValue) },
    value_mismatch: { orders: s.mismatchOrders, difference: money(s.mismatchDifference) },
    refunded: { orders: s.refundedOrders, value: money(s.refundedValue) },
    match_rate: s.crmOrders === 0 ? null : Math.round((s.matchedOrders / s.crmOrders) * 1e6) / 1e6,
  };
}

type Totals = ReconcileTotals;

function add(into: Totals, s: Totals): void {
  for (const k of Object.keys(into) as (keyof Totals)[]) into[k] += s[k];
}

const zero = zeroReconcileTotals;

/**
 * @example
 * reconciliationReport(sums, { groupBy: "month", timezone: "Europe/Berlin", eventName: "Purchase", currency: "EUR" });
 * // { crm: { orders: 1200, value: … }, match_rate: 0.93, rows: [{ key: "2026-03", … }, { key: "2026-04", … }], … }
 */
export function reconciliationReport(
  sums: ReconcileSums[],
  opts: { groupBy: ReconciliationGroup; timezone: string; eventName: string; currency: string },
): ReconciliationReport {
  const total = zero();
  const groups = new Map<string, Totals>();
  const keyCache = new Map<number, string>();
  for (const s of sums) {
    const { slice, platform, ...t } = s;
    add(total, t);
    let key: string;
    if (opts.groupBy === "platform") key = platform ?? "unattributed";
    else {
      const sl = slice ?? 0;
      let day = keyCache.get(sl);
      if (day === undefined) keyCache.set(sl, (day = dateOf(sl * SLICE_MS, opts.timezone)));
      key = opts.groupBy === "month" ? day.slice(0, 7) : day;
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = zero()));
    add(g, t);
  }
  const rows = [...groups.entries()].map(([key, t]) => ({ key, ...figures(t) }));
  if (opts.groupBy === "platform")
    rows.sort(
      (a, b) =>
        b.crm.orders + b.tracked.conversions - (a.crm.orders + a.tracked.conversions) ||
        (a.key < b.key ? -1 : 1),
    );
  else rows.sort((a, b) => (a.key < b.key ? -1 : 1));
  return {
    event_name: opts.eventName,
    group_by: opts.groupBy,
    currency: opts.currency,
    ...figures(total),
    rows,
  };
}
