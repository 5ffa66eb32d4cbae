/** Sums stored credits into the attribution report: one row per platform, campaign or ad. */

export type GroupBy = "platform" | "campaign" | "ad";

export const GROUP_BYS: readonly GroupBy[] = Object.freeze(["platform", "campaign", "ad"] as const);

export function isGroupBy(s: unknown): s is GroupBy {
  return typeof s === "string" && (GROUP_BYS as readonly string[]).includes(s);
}

/** The key of a row whose campaign or ad is unknown. */
export const NONE_KEY = "(none)";

/** One conversion with the credits of the report's model. */
export interface AttributedConversion {
  value: number | null;
  /** ISO 4217 code; null or absent means the workspace currency. */
  currency?: string | null;
  credits: { platform: string; campaign: string | null; ad: string | null; credit: number }[];
}

export interface ReportTotals {
  /** Sum of credit: a conversion split 50/50 adds 0.5 to each of two rows. */
  conversions: number;
  /** Sum of credit × value. */
  value: number;
}

export interface AttributionReport {
  rows: ({ key: string } & ReportTotals)[];
  unattributed: ReportTotals;
  /**
   * Conversions in a currency other than the workspace's, per currency: how many, and their
   * total value in that currency. They count in `rows[].conversions` and
   * `unattributed.conversions` like any other, but never in a `value` there: Tally has no
   * exchange rates, and adding euros to dollars would be wrong. Empty without `currency`.
   */
  other_currencies: Record<string, ReportTotals>;
}

export interface ReportOptions {
  /** The workspace currency. Without it every value is summed as is, whatever its currency. */
  currency?: string;
}

/**
 * Aggregates attributed conversions into report rows. `rows` hold only keys whose summed
 * credit is above 0 (after rounding), sorted by `conversions` descending, then `key`. A
 * conversion without credits counts as unattributed. Sums are rounded to 6 decimals so float
 * noise (0.30000000000000004) never reaches the API.
 *
 * @example
 * aggregateReport([{ value: 100, credits: [{ platform: "google", campaign: null, ad: null, credit: 1 }] }], "platform");
 * // { rows: [{ key: "google", conversions: 1, value: 100 }], unattributed: { conversions: 0, value: 0 }, other_currencies: {} }
 */
export function aggregateReport(
  rows: Iterable<AttributedConversion>,
  groupBy: GroupBy,
  options: ReportOptions = {},
): AttributionReport {
  const home = normalizeCurrency(options.currency);
  const byKey = new Map<string, ReportTotals>();
  const unattributed: ReportTotals = { conversions: 0, value: 0 };
  const others = new Map<string, ReportTotals>();

  for (const conversion of rows) {
    const amount =
      typeof conversion.value === "number" && Number.isFinite(conversion.value) ? conversion.value : 0;
    const currency = normalizeCurrency(conversion.currency);
    const foreign = home !== null && currency !== null && currency !== home;
    // Foreign values are set aside below; here they add to conversion counts only.
    const counted = foreign ? 0 : amount;
    if (foreign) {
      const totals = others.get(currency) ?? { conversions: 0, value: 0 };
      totals.conversions += 1;
      totals.value += amount;
      others.set(currency, totals);
    }

    let credited = false;
    for (const c of conversion.credits) {
      if (!(c.credit > 0) || !Number.isFinite(c.credit)) continue;
      credited = true;
      const key = keyOf(c, groupBy);
      const totals = byKey.get(key);
      if (totals === undefined) {
        byKey.set(key, { conversions: c.credit, value: c.credit * counted });
      } else {
        totals.conversions += c.credit;
        totals.value += c.credit * counted;
      }
    }
    if (!credited) {
      unattributed.conversions += 1;
      unattributed.value += counted;
    }
  }

  const out: AttributionReport["rows"] = [];
  for (const [key, totals] of byKey) {
    const conversions = round6(totals.conversions);
    if (conversions > 0) out.push({ key, conversions, value: round6(totals.value) });
  }
  out.sort((a, b) => b.conversions - a.conversions || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const otherCurrencies: Record<string, ReportTotals> = {};
  for (const code of [...others.keys()].sort()) {
    const totals = others.get(code) as ReportTotals;
    otherCurrencies[code] = { conversions: round6(totals.conversions), value: round6(totals.value) };
  }

  return {
    rows: out,
    unattributed: { conversions: round6(unattributed.conversions), value: round6(unattributed.value) },
    other_currencies: otherCurrencies,
  };
}

function keyOf(c: AttributedConversion["credits"][number], groupBy: GroupBy): string {
  const key = groupBy === "platform" ? c.platform : groupBy === "campaign" ? c.campaign : c.ad;
  return key === null || key === undefined || key === "" ? NONE_KEY : key;
}

function normalizeCurrency(code: string | null | undefined): string | null {
  if (typeof code !== "string") return null;
  const trimmed = code.trim();
  return trimmed === "" ? null : trimmed.toUpperCase();
}

/** Rounds to 6 decimals; `|| 0` turns a -0 into 0 so JSON never shows "-0". */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6 || 0;
}
