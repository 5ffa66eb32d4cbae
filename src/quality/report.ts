/**
 * The quality report (`GET /v1/reports/quality?from&to&group_by=platform|campaign|ad`) as a
 * pure aggregation over the clicks and credited conversions of the period: per platform,
 * campaign or ad, how many clicks and conversions, how many of them flagged, and how many
 * carried each flag. Conversions count by their credit under the report's model (last click
 * by default: one conversion, one row), as in the attribution report, so the two reports add
 * up alike; a conversion without credit counts in `unattributed`.
 *
 * @example
 * aggregateQualityReport(
 *   [{ platform: "google", campaign: "spring", ad: null, flags: ["bot"] }],
 *   [{ flags: [], credits: [{ platform: "google", campaign: "spring", ad: null, credit: 1 }] }],
 *   "platform",
 * );
 * // { rows: [{ key: "google", clicks: 1, flagged_clicks: 1, conversions: 1, flagged_conversions: 0,
 * //           flags: { bot: 1, too_fast: 0, click_flood: 0, conversion_burst: 0, datacenter_ip: 0 } }],
 * //   unattributed: { conversions: 0, flagged_conversions: 0, flags: { … 0 } } }
 */
import { NONE_KEY, type GroupBy } from "../attribution/report.js";
import { QUALITY_FLAGS, type QualityFlag } from "./flags.js";

export interface QualityClickRow {
  platform: string;
  campaign: string | null;
  ad: string | null;
  flags: readonly QualityFlag[];
  /** How many clicks this row stands for (a store's grouped row); 1 when absent. */
  count?: number;
}

export interface QualityConversionRow {
  flags: readonly QualityFlag[];
  /** How many conversions this row stands for when it has no credit (grouped); 1 when absent. */
  count?: number;
  credits: readonly { platform: string; campaign: string | null; ad: string | null; credit: number }[];
}

export type FlagCounts = Record<QualityFlag, number>;

export interface QualityReportRow {
  key: string;
  clicks: number;
  flagged_clicks: number;
  conversions: number;
  flagged_conversions: number;
  flags: FlagCounts;
}

export interface QualityReport {
  rows: QualityReportRow[];
  unattributed: { conversions: number; flagged_conversions: number; flags: FlagCounts };
}

const zeroFlags = (): FlagCounts => ({
  bot: 0,
  too_fast: 0,
  click_flood: 0,
  conversion_burst: 0,
  datacenter_ip: 0,
});

function keyOf(
  c: { platform: string; campaign: string | null; ad: string | null },
  groupBy: GroupBy,
): string {
  const key = groupBy === "platform" ? c.platform : groupBy === "campaign" ? c.campaign : c.ad;
  return key === null || key === undefined || key === "" ? NONE_KEY : key;
}

/** Rounds to 6 decimals (credit sums), never -0. */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6 || 0;

function addFlags(into: FlagCounts, flags: readonly QualityFlag[], weight: number): void {
  for (const f of flags) if (f in into) into[f] += weight;
}

export function aggregateQualityReport(
  clicks: Iterable<QualityClickRow>,
  conversions: Iterable<QualityConversionRow>,
  groupBy: GroupBy,
): QualityReport {
  const rows = new Map<string, QualityReportRow>();
  const row = (key: string): QualityReportRow => {
    let r = rows.get(key);
    if (!r) {
      r = { key, clicks: 0, flagged_clicks: 0, conversions: 0, flagged_conversions: 0, flags: zeroFlags() };
      rows.set(key, r);
    }
    return r;
  };
  for (const c of clicks) {
    const r = row(keyOf(c, groupBy));
    const n = c.count ?? 1;
    r.clicks += n;
    if (c.flags.length > 0) r.flagged_clicks += n;
    addFlags(r.flags, c.flags, n);
  }
  const unattributed = { conversions: 0, flagged_conversions: 0, flags: zeroFlags() };
  for (const v of conversions) {
    const flagged = v.flags.length > 0;
    let credited = false;
    for (const c of v.credits) {
      if (!(c.credit > 0) || !Number.isFinite(c.credit)) continue;
      credited = true;
      const r = row(keyOf(c, groupBy));
      r.conversions += c.credit;
      if (flagged) r.flagged_conversions += c.credit;
      addFlags(r.flags, v.flags, c.credit);
    }
    if (!credited) {
      const n = v.count ?? 1;
      unattributed.conversions += n;
      if (flagged) unattributed.flagged_conversions += n;
      addFlags(unattributed.flags, v.flags, n);
    }
  }

  const out: QualityReportRow[] = [];
  for (const r of rows.values()) {
    const flags = zeroFlags();
    for (const f of QUALITY_FLAGS) flags[f] = round6(r.flags[f]);
    const conversionsSum = round6(r.conversions);
    if (r.clicks === 0 && conversionsSum === 0) continue;
    out.push({
      ...r,
      conversions: conversionsSum,
      flagged_conversions: round6(r.flagged_conversions),
      flags,
    });
  }
  // Most flagged first, then busiest, then by key: the rows to look at come on top.
  out.sort(
    (a, b) =>
      b.flagged_clicks + b.flagged_conversions - (a.flagged_clicks + a.flagged_conversions) ||
      b.clicks + b.conversions - (a.clicks + a.conversions) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  return { rows: out, unattributed };
}
