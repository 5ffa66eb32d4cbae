/**
 * TikTok Business API integrated report (platform-apis-decisions.md C):
 * `GET /open_api/v1.3/report/integrated/get/` with `Access-Token`, `report_type=BASIC`,
 * `data_level=AUCTION_AD`, `dimensions`/`metrics` as JSON arrays in the query, dates inclusive
 * in the advertiser's time zone, `page`/`page_size` (≤ 1000) until `page_info.total_page`.
 * Errors come as HTTP 200 with a non-zero `code`: 40100/40132 are throttling, 5xxxx transient,
 * 40001/40102/40104/40105 credentials.
 */
import type { HttpAnswer } from "../../destinations/types.js";
import type { TikTokSourceConfig } from "../source-config.js";
import {
  num,
  requestWithRetries,
  str,
  verdictOf,
  whole,
  type PullContext,
  type PullResult,
  type PulledRow,
  type Verdict,
} from "./pull.js";

export const TIKTOK_URL = "https://business-api.tiktok.com";
const METRICS = ["spend", "impressions", "clicks", "campaign_id", "campaign_name", "ad_name"];
const PAGE_SIZE = 1000;
const MAX_PAGES = 1000;
const RETRY_CODES = new Set([40100, 40132, 40202, 50000, 50002]);

export function readTikTok(answer: HttpAnswer, now: number): Verdict {
  const v = verdictOf(answer, "TikTok", now, (b) => {
    const m = (b as { message?: unknown } | null)?.message;
    return typeof m === "string" ? m : null;
  });
  if (v.kind !== "ok") return v;
  const b = v.body as { code?: unknown; message?: unknown };
  const code = typeof b.code === "number" ? b.code : -1;
  if (code === 0) return v;
  const error = `TikTok code ${code}: ${typeof b.message === "string" ? b.message : "error"}`;
  return RETRY_CODES.has(code) || (code >= 51000 && code < 52000)
    ? { kind: "retry", error }
    : { kind: "fail", error };
}

export function tiktokReportUrl(c: TikTokSourceConfig, since: string, until: string, page: number): string {
  const q = new URLSearchParams({
    advertiser_id: c.advertiser_id,
    report_type: "BASIC",
    data_level: "AUCTION_AD",
    dimensions: JSON.stringify(["ad_id", "stat_time_day"]),
    metrics: JSON.stringify(METRICS),
    start_date: since,
    end_date: until,
    page: String(page),
    page_size: String(PAGE_SIZE),
  });
  return `${c.endpoint ?? TIKTOK_URL}/open_api/v1.3/report/integrated/get/?${q.toString()}`;
}

interface ReportPage {
  data?: {
    list?: { dimensions?: Record<string, unknown>; metrics?: Record<string, unknown> }[];
    page_info?: { page?: number; total_page?: number };
  };
}

export async function pullTikTok(c: TikTokSourceConfig, ctx: PullContext): Promise<PullResult> {
  const rows: PulledRow[] = [];
  let requests = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    requests++;
    const r = await requestWithRetries(
      {
        method: "GET",
        url: tiktokReportUrl(c, ctx.since, ctx.until, page),
        headers: { "access-token": c.access_token },
        body: "",
      },
      c.timeout_ms,
      ctx,
      (a) => readTikTok(a, ctx.now),
    );
    if (!r.ok) return r;
    const data = (r.body as ReportPage).data;
    for (const x of data?.list ?? []) {
      const d = x.dimensions ?? {};
      const m = x.metrics ?? {};
      const date = str(d.stat_time_day)?.slice(0, 10) ?? null;
      const campaignId = str(m.campaign_id);
      const adId = str(d.ad_id);
      if (date === null || campaignId === null) continue;
      rows.push({
        date,
        platform: "tiktok",
        account: c.advertiser_id,
        campaign: str(m.campaign_name) ?? campaignId,
        campaignId,
        ad: str(m.ad_name) ?? adId,
        adId,
        // "-" marks a metric TikTok has no figure for.
        spend: num(m.spend) ?? 0,
        currency: c.currency ?? ctx.currency,
        impressions: whole(m.impressions),
        clicks: whole(m.clicks),
      });
    }
    const total = data?.page_info?.total_page ?? 1;
    if (page >= total) break;
  }
  return { ok: true, rows, requests };
}
