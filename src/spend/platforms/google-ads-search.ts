/**
 * Google Ads spend through GAQL (platform-apis-decisions.md A2):
 * `POST /{v}/customers/{cid}/googleAds:search` with `{query, pageToken?}`, headers
 * `Authorization: Bearer`, `developer-token`, `login-customer-id` (via a manager account).
 * Rows are proto3 JSON (int64 as strings); `metrics.costMicros` is the account currency × 10⁶.
 * Pages follow `nextPageToken` (absent on the last page). An OAuth refresh token is exchanged
 * like a destination's (destinations/google-ads/google-oauth.ts).
 */
import { parseDuration } from "../../destinations/backoff.js";
import { authorizeGoogle } from "../../destinations/google-ads/google-oauth.js";
import type { HttpAnswer } from "../../destinations/types.js";
import type { GoogleAdsSourceConfig } from "../source-config.js";
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

export const GOOGLE_ADS_URL = "https://googleads.googleapis.com";
const MAX_PAGES = 1000;

/** The GAQL query: ad-level daily cost, clicks and impressions over [since, until]. */
export function spendQuery(since: string, until: string): string {
  return (
    "SELECT segments.date, campaign.id, campaign.name, ad_group.id, ad_group_ad.ad.id, " +
    "metrics.cost_micros, metrics.clicks, metrics.impressions FROM ad_group_ad " +
    `WHERE segments.date BETWEEN '${since}' AND '${until}'`
  );
}

interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details?: {
    errors?: { message?: string; errorCode?: Record<string, string> }[];
    quotaErrorDetails?: { retryDelay?: string };
  }[];
}

function errorOf(body: unknown): GoogleError | null {
  const e = (body as { error?: unknown } | null)?.error;
  return typeof e === "object" && e !== null ? e : null;
}

function describe(e: GoogleError): string {
  const first = e.details?.[0]?.errors?.[0];
  const code = first?.errorCode ? Object.values(first.errorCode)[0] : undefined;
  return [e.status, code, first?.message ?? e.message].filter(Boolean).join(": ");
}

export function readGoogle(answer: HttpAnswer, now: number): Verdict {
  const v = verdictOf(answer, "Google Ads", now, (b) => {
    const e = errorOf(b);
    return e ? describe(e) : null;
  });
  if (v.kind === "retry" && v.retryAfterMs === undefined && answer.kind === "response") {
    // RESOURCE_EXHAUSTED carries its wait as a protobuf Duration in the failure's details.
    const delay = errorOf(safeJson(answer.text))?.details?.find((d) => d.quotaErrorDetails)?.quotaErrorDetails
      ?.retryDelay;
    const ms = parseDuration(delay);
    if (ms !== undefined) return { ...v, retryAfterMs: ms };
  }
  return v;
}

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return null;
  }
}

interface SearchPage {
  results?: {
    campaign?: { id?: string; name?: string };
    adGroupAd?: { ad?: { id?: string; name?: string } };
    metrics?: { costMicros?: string; clicks?: string; impressions?: string };
    segments?: { date?: string };
  }[];
  nextPageToken?: string;
}

export async function pullGoogleAds(c: GoogleAdsSourceConfig, ctx: PullContext): Promise<PullResult> {
  const auth = await authorizeGoogle(c, ctx.send, ctx.now);
  if (!auth.ok) {
    const o = auth.outcome;
    return { ok: false, error: o.kind === "rows" ? "Google OAuth failed" : o.error };
  }
  const headers: Record<string, string> = {
    authorization: `Bearer ${auth.accessToken ?? ""}`,
    "developer-token": c.developer_token,
    "content-type": "application/json",
  };
  if (c.login_customer_id) headers["login-customer-id"] = c.login_customer_id;
  const url = `${c.endpoint ?? GOOGLE_ADS_URL}/${c.api_version}/customers/${c.customer_id}/googleAds:search`;
  const query = spendQuery(ctx.since, ctx.until);
  const rows: PulledRow[] = [];
  let pageToken: string | null = null;
  let requests = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    requests++;
    const body = JSON.stringify(pageToken ? { query, pageToken } : { query });
    const r = await requestWithRetries({ method: "POST", url, headers, body }, c.timeout_ms, ctx, (a) =>
      readGoogle(a, ctx.now),
    );
    if (!r.ok) return r;
    const p = r.body as SearchPage;
    for (const x of p.results ?? []) {
      const micros = num(x.metrics?.costMicros);
      const date = str(x.segments?.date);
      const campaignId = str(x.campaign?.id);
      if (micros === null || date === null || campaignId === null) continue;
      const adId = str(x.adGroupAd?.ad?.id);
      rows.push({
        date,
        platform: "google",
        account: c.customer_id,
        campaign: str(x.campaign?.name) ?? campaignId,
        campaignId,
        ad: str(x.adGroupAd?.ad?.name) ?? adId,
        adId,
        spend: micros / 1_000_000,
        currency: c.currency ?? ctx.currency,
        impressions: whole(x.metrics?.impressions),
        clicks: whole(x.metrics?.clicks),
      });
    }
    pageToken = str(p.nextPageToken);
    if (!pageToken) break;
  }
  return { ok: true, rows, requests };
}
