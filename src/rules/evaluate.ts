/**
 * Whether a rule's condition holds for one key's window totals. Pure.
 *
 * - `cpa` = spend / conversions; with spend and no conversions it is infinite (so `cpa > X`
 *   fires once `min_spend` is reached; the signal's `value` is null), with neither it is null.
 * - `roas` = value / spend; with no spend it is null: a ROAS rule never fires without spend.
 * - `conversion_rate` = conversions / clicks; null without clicks.
 * - `min_spend` and `min_conversions` must be reached before any condition is looked at.
 */
import type { Metric, Op, RuleSpec } from "./rule.js";

/** The performance figures of one key over a rule's trailing window. */
export interface WindowTotals {
  spend: number;
  impressions: number;
  clicks: number;
  conversions: number;
  value: number;
}

export const EMPTY_TOTALS: Readonly<WindowTotals> = Object.freeze({
  spend: 0,
  impressions: 0,
  clicks: 0,
  conversions: 0,
  value: 0,
});

/** Float noise (0.1 + 0.2) must not decide a threshold: figures are compared at 6 decimals. */
const EPS = 1e-9;

/** The metric's value: a number, Infinity (CPA with spend and no conversions), or null (undefined ratio). */
export function metricValue(metric: Metric, t: WindowTotals): number | null {
  switch (metric) {
    case "spend":
      return t.spend;
    case "conversions":
      return t.conversions;
    case "value":
      return t.value;
    case "cpa":
      if (t.conversions > EPS) return t.spend / t.conversions;
      return t.spend > EPS ? Infinity : null;
    case "roas":
      return t.spend > EPS ? t.value / t.spend : null;
    case "conversion_rate":
      return t.clicks > 0 ? t.conversions / t.clicks : null;
  }
}

export function compare(op: Op, value: number, threshold: number): boolean {
  const v = Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : value;
  switch (op) {
    case "<":
      return v < threshold;
    case "<=":
      return v <= threshold;
    case ">":
      return v > threshold;
    case ">=":
      return v >= threshold;
  }
}

export interface Verdict {
  holds: boolean;
  /** The metric's value for the signal and the dashboard: null when undefined or infinite. */
  value: number | null;
}

type Condition = Pick<RuleSpec, "metric" | "op" | "threshold" | "min_spend" | "min_conversions">;

/**
 * @example
 * evaluate({ metric: "cpa", op: ">", threshold: 40, min_spend: 100, min_conversions: 0 },
 *          { spend: 150, impressions: 0, clicks: 0, conversions: 0, value: 0 });
 * // { holds: true, value: null }  (infinite CPA: spend, no conversions)
 */
export function evaluate(rule: Condition, t: WindowTotals): Verdict {
  return evaluateInto(rule, t, { holds: false, value: null });
}

/** `evaluate` writing into `out`: the engine keeps one verdict per rule and key, no allocation per conversion. */
export function evaluateInto(rule: Condition, t: WindowTotals, out: Verdict): Verdict {
  const raw = metricValue(rule.metric, t);
  out.value = raw === null || !Number.isFinite(raw) ? null : round6(raw);
  out.holds =
    raw !== null &&
    t.spend + EPS >= rule.min_spend &&
    t.conversions + EPS >= rule.min_conversions &&
    compare(rule.op, raw, rule.threshold);
  return out;
}

export function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
