/**
 * GET /v1/reports/quality: clicks and conversions per platform, campaign or ad, how many of
 * them flagged and by which flags (quality/report.ts sums the store's grouped rows), the
 * flagged share over time per key (`series`, for the dashboard's chart), and the most frequent
 * truncated address keys and user agents of flagged traffic (`top`). Flagged conversions are
 * counted here whatever `flagged_conversions` says: this is where they are looked at.
 */
import type { FastifyInstance } from "fastify";
import { DEFAULT_MODEL, GROUP_BYS, MODELS } from "../../attribution/index.js";
import { NONE_KEY } from "../../attribution/report.js";
import { isoTime } from "../../domain/time.js";
import { flagsOfMask } from "../../quality/input.js";
import { aggregateQualityReport } from "../../quality/report.js";
import type { QualityGroupRow } from "../../storage/quality-rows.js";
import type { AppDeps } from "../deps.js";
import { enumParam, query, rangeParams } from "../params.js";
import { qualityReportSchema } from "../schemas/reports.js";

const BUCKETS = { hour: 3_600_000, day: 86_400_000 } as const;

export function qualityRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/reports/quality", { schema: qualityReportSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to } = rangeParams(q);
    const model = enumParam(q, "model", MODELS, DEFAULT_MODEL);
    const groupBy = enumParam(q, "group_by", GROUP_BYS, "platform");
    const bucket = enumParam(q, "bucket", ["hour", "day"] as const, "hour");
    const r = await deps.store.qualityReadout(ws.id, { from, to, model, bucketMs: BUCKETS[bucket] });
    const clickRows = r.clicks.map((c) => ({ ...c, flags: flagsOfMask(c.flags), count: c.n }));
    const conversionRows = [
      ...r.conversions.map((c) => ({ flags: flagsOfMask(c.flags), credits: [{ ...c, credit: c.n }] })),
      ...r.unattributed.map((u) => ({ flags: flagsOfMask(u.flags), credits: [], count: u.n })),
    ];
    const report = aggregateQualityReport(clickRows, conversionRows, groupBy);
    return {
      model,
      group_by: groupBy,
      rows: report.rows,
      unattributed: report.unattributed,
      series: series(r.clicks, r.conversions, groupBy),
      top: {
        addresses: r.topKeys.map((k) => ({ key: `${k.key}…`, count: k.n })),
        user_agents: r.topUserAgents.map((u) => ({ user_agent: u.userAgent.slice(0, 256), count: u.n })),
      },
    };
  });
}

/** Per bucket and key: clicks, conversions (credit) and how many of them flagged. */
function series(
  clicks: QualityGroupRow[],
  conversions: QualityGroupRow[],
  groupBy: "platform" | "campaign" | "ad",
) {
  const out = new Map<
    string,
    {
      start: number;
      key: string;
      clicks: number;
      flagged_clicks: number;
      conversions: number;
      flagged_conversions: number;
    }
  >();
  const row = (g: QualityGroupRow) => {
    const key =
      (groupBy === "platform" ? g.platform : groupBy === "campaign" ? g.campaign : g.ad) || NONE_KEY;
    const id = `${g.start}|${key}`;
    let r = out.get(id);
    if (!r)
      out.set(
        id,
        (r = { start: g.start, key, clicks: 0, flagged_clicks: 0, conversions: 0, flagged_conversions: 0 }),
      );
    return r;
  };
  for (const c of clicks) {
    const r = row(c);
    r.clicks += c.n;
    if (c.flags !== 0) r.flagged_clicks += c.n;
  }
  for (const c of conversions) {
    const r = row(c);
    r.conversions += c.n;
    if (c.flags !== 0) r.flagged_conversions += c.n;
  }
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return [...out.values()]
    .sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : 1))
    .map((r) => ({
      ...r,
      start: isoTime(r.start),
      conversions: round(r.conversions),
      flagged_conversions: round(r.flagged_conversions),
    }));
}
