/**
 * The performance report's core: spend totals and attribution credit totals meet per key.
 * Pure — the store sums, this matches and divides.
 *
 * Matching (docs/spend.md): within a platform, a touch's campaign meets a spend campaign when
 * it equals the campaign's id (ids come from click parameters such as `utm_id`/`campaign_id`,
 * or a click import's `campaign`), else when it equals its name (case and surrounding spaces
 * ignored). An ad likewise: by the ad's id on the platform, else by name within the matched
 * campaign. A matched row is keyed by the spend's name, so the id and the name of one
 * campaign land on one row; an unmatched touch keeps its own string.
 */
import { NONE_KEY, type GroupBy } from "../attribution/index.js";
import type { CreditTotal, SpendTotal } from "../storage/spend-store.js";

export interface PerformanceFigures {
  spend: number;
  impressions: number;
  clicks: number;
  conversions: number;
  value: number;
  /** spend / conversions; null when conversions is 0. */
  cpa: number | null;
  /** value / spend; null when spend is 0. */
  roas: number | null;
}

export interface PerformanceRow extends PerformanceFigures {
  key: string;
  platform: string;
  /** The campaign of an ad row (group_by=ad). */
  campaign?: string;
  /** The platform's id of the campaign (campaign and ad rows), when spend named it. */
  campaign_id?: string | null;
  /** The platform's id of the ad (ad rows), when spend named it. */
  ad_id?: string | null;
  /** The ad account of the spend, when spend named one (one of them if several). */
  account?: string | null;
}

export interface Performance {
  rows: PerformanceRow[];
  totals: PerformanceFigures;
  /**
   * Spend and credited value in currencies other than the workspace's, per currency: never
   * in a row's `spend` or `value` (Tally has no exchange rates). Conversions in another
   * currency still count in `conversions`.
   */
  other_currencies: Record<string, { spend: number; conversions: number; value: number }>;
}

interface Acc {
  key: string;
  platform: string;
  campaign: string | null;
  campaignId: string | null;
  adId: string | null;
  account: string | null;
  spend: number;
  impressions: number;
  clicks: number;
  conversions: number;
  value: number;
}

const fold = (s: string) => s.trim().toLowerCase();
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6 || 0;
// Ratios of the rounded figures, unrounded: `cpa` is exactly `spend / conversions` as shown.
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export interface MergeOptions {
  groupBy: GroupBy;
  /** The workspace currency: spend and value in it count; others go to `other_currencies`. */
  currency: string;
  /** Each spend total is multiplied by its weight (rules' trailing windows); default 1. */
  weight?: (t: SpendTotal) => number;
}

/**
 * @example
 * mergePerformance(
 *   [{ platform: "meta", campaign: "120210", ad: null, currency: "USD", conversions: 2, value: 90 }],
 *   [{ date: null, platform: "meta", campaignKey: "120210", campaignName: "Brand", campaignId: "120210",
 *      adKey: null, adName: null, adId: null, account: "act_1", currency: "USD", spend: 60, impressions: 900, clicks: 30 }],
 *   { groupBy: "campaign", currency: "USD" },
 * ).rows;
 * // [{ key: "Brand", platform: "meta", campaign_id: "120210", account: "act_1", spend: 60, impressions: 900,
 * //    clicks: 30, conversions: 2, value: 90, cpa: 30, roas: 1.5 }]
 */
export function mergePerformance(
  credits: readonly CreditTotal[],
  spend: readonly SpendTotal[],
  opts: MergeOptions,
): Performance {
  const home = opts.currency.toUpperCase();
  const rows = new Map<string, Acc>();
  const others = new Map<string, { spend: number; conversions: number; value: number }>();
  const other = (cur: string) => {
    let o = others.get(cur);
    if (!o) others.set(cur, (o = { spend: 0, conversions: 0, value: 0 }));
    return o;
  };
  const acc = (platform: string, key: string, campaign: string | null): Acc => {
    const id = JSON.stringify([platform, campaign, key]);
    let a = rows.get(id);
    if (!a) {
      a = {
        key,
        platform,
        campaign,
        campaignId: null,
        adId: null,
        account: null,
        spend: 0,
        impressions: 0,
        clicks: 0,
        conversions: 0,
        value: 0,
      };
      rows.set(id, a);
    }
    return a;
  };

  // Lookups from what a touch may carry (an id, a name) to the spend's row, per platform.
  const campaignById = new Map<string, string>();
  const campaignByName = new Map<string, string>();
  const adById = new Map<string, { campaign: string; ad: string }>();
  const adByName = new Map<string, string>();
  const at = (...parts: string[]) => JSON.stringify(parts);

  for (const t of spend) {
    const campaign = t.campaignName ?? t.campaignKey;
    const ad = t.adName || t.adKey || NONE_KEY;
    if (opts.groupBy !== "platform" && campaign !== null) {
      if (t.campaignId) campaignById.set(at(t.platform, t.campaignId), campaign);
      campaignByName.set(at(t.platform, fold(campaign)), campaign);
      if (t.campaignKey !== null) campaignByName.set(at(t.platform, fold(t.campaignKey)), campaign);
      if (opts.groupBy === "ad") {
        if (t.adId) adById.set(at(t.platform, t.adId), { campaign, ad });
        adByName.set(at(t.platform, campaign, fold(ad)), ad);
      }
    }
    const a =
      opts.groupBy === "platform"
        ? acc(t.platform, t.platform, null)
        : opts.groupBy === "campaign"
          ? acc(t.platform, campaign ?? NONE_KEY, null)
          : acc(t.platform, ad, campaign ?? NONE_KEY);
    if (opts.groupBy !== "platform") {
      a.campaignId ??= t.campaignId ?? null;
      a.account ??= t.account || null;
      if (opts.groupBy === "ad") a.adId ??= t.adId ?? null;
    }
    const w = opts.weight ? opts.weight(t) : 1;
    const cur = t.currency.toUpperCase();
    if (cur === home) a.spend += t.spend * w;
    else other(cur).spend += t.spend * w;
    a.impressions += t.impressions * w;
    a.clicks += t.clicks * w;
  }

  for (const c of credits) {
    let a: Acc;
    if (opts.groupBy === "platform") a = acc(c.platform, c.platform, null);
    else {
      const byAd = opts.groupBy === "ad" && c.ad ? adById.get(at(c.platform, c.ad)) : undefined;
      const campaign =
        byAd?.campaign ??
        (c.campaign === null
          ? NONE_KEY
          : (campaignById.get(at(c.platform, c.campaign)) ??
            campaignByName.get(at(c.platform, fold(c.campaign))) ??
            c.campaign));
      if (opts.groupBy === "campaign") a = acc(c.platform, campaign, null);
      else {
        const ad =
          byAd?.ad ??
          (c.ad === null ? NONE_KEY : (adByName.get(at(c.platform, campaign, fold(c.ad))) ?? c.ad));
        a = acc(c.platform, ad, campaign);
      }
    }
    const cur = c.currency === null ? home : c.currency.toUpperCase();
    a.conversions += c.conversions;
    if (cur === home) a.value += c.value;
    else {
      const o = other(cur);
      o.conversions += c.conversions;
      o.value += c.value;
    }
  }

  const out: PerformanceRow[] = [];
  const totals = { spend: 0, impressions: 0, clicks: 0, conversions: 0, value: 0 };
  for (const a of rows.values()) {
    const f = figures(a);
    if (f.spend === 0 && f.conversions === 0 && f.impressions === 0 && f.clicks === 0) continue;
    const extra: Pick<PerformanceRow, "campaign" | "campaign_id" | "ad_id" | "account"> = {};
    if (opts.groupBy === "ad") extra.campaign = a.campaign ?? NONE_KEY;
    if (opts.groupBy !== "platform") {
      extra.campaign_id = a.campaignId;
      if (opts.groupBy === "ad") extra.ad_id = a.adId;
      extra.account = a.account;
    }
    out.push({ key: a.key, platform: a.platform, ...extra, ...f });
    totals.spend += a.spend;
    totals.impressions += a.impressions;
    totals.clicks += a.clicks;
    totals.conversions += a.conversions;
    totals.value += a.value;
  }
  out.sort(
    (x, y) =>
      y.spend - x.spend ||
      y.conversions - x.conversions ||
      (x.platform < y.platform ? -1 : x.platform > y.platform ? 1 : 0) ||
      (x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
  );
  const otherCurrencies: Performance["other_currencies"] = {};
  for (const cur of [...others.keys()].sort()) {
    const o = others.get(cur)!;
    otherCurrencies[cur] = {
      spend: round6(o.spend),
      conversions: round6(o.conversions),
      value: round6(o.value),
    };
  }
  return { rows: out, totals: figures(totals), other_currencies: otherCurrencies };
}

function figures(a: {
  spend: number;
  impressions: number;
  clicks: number;
  conversions: number;
  value: number;
}): PerformanceFigures {
  const spend = round6(a.spend);
  const conversions = round6(a.conversions);
  const value = round6(a.value);
  return {
    spend,
    impressions: round6(a.impressions),
    clicks: round6(a.clicks),
    conversions,
    value,
    cpa: ratio(spend, conversions),
    roas: ratio(value, spend),
  };
}
