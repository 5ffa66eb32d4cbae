/**
 * LinkedIn Marketing API ad analytics (platform-apis-decisions.md D):
 * `GET /rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=(…)&accounts=List(urn…)`
 * with `Authorization: Bearer`, `LinkedIn-Version`, `X-Restli-Protocol-Version: 2.0.0`.
 * Rest.li syntax stays unescaped except the URNs inside `List(…)`. No pagination. Rows carry
 * the campaign's URN only (no name): the campaign is keyed and shown by its id.
 */
import type { HttpAnswer } from "../../destinations/types.js";
import type { LinkedInSourceConfig } from "../source-config.js";
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

export const LINKEDIN_URL = "https://api.linkedin.com";
const CAMPAIGN_URN = /^urn:li:sponsoredCampaign:(\d+)$/;

export function readLinkedIn(answer: HttpAnswer, now: number): Verdict {
  return verdictOf(answer, "LinkedIn", now, (b) => {
    const e = b as { message?: unknown; serviceErrorCode?: unknown } | null;
    if (!e || typeof e.message !== "string") return null;
    return `${e.message}${typeof e.serviceErrorCode === "number" ? ` (serviceErrorCode ${e.serviceErrorCode})` : ""}`;
  });
}

const restliDate = (d: string) => {
  const [y, m, day] = d.split("-").map(Number);
  return `(year:${y},month:${m},day:${day})`;
};

export function linkedinAnalyticsUrl(c: LinkedInSourceConfig, since: string, until: string): string {
  const account = encodeURIComponent(`urn:li:sponsoredAccount:${c.account_id}`);
  return (
    `${c.endpoint ?? LINKEDIN_URL}/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY` +
    `&dateRange=(start:${restliDate(since)},end:${restliDate(until)})&accounts=List(${account})` +
    `&fields=costInLocalCurrency,impressions,clicks,dateRange,pivotValues`
  );
}

interface Element {
  costInLocalCurrency?: unknown;
  impressions?: unknown;
  clicks?: unknown;
  dateRange?: { start?: { year?: number; month?: number; day?: number } };
  pivotValues?: unknown[];
}

const pad = (n: number) => String(n).padStart(2, "0");

export async function pullLinkedIn(c: LinkedInSourceConfig, ctx: PullContext): Promise<PullResult> {
  const r = await requestWithRetries(
    {
      method: "GET",
      url: linkedinAnalyticsUrl(c, ctx.since, ctx.until),
      headers: {
        authorization: `Bearer ${c.access_token}`,
        "linkedin-version": c.version,
        "x-restli-protocol-version": "2.0.0",
      },
      body: "",
    },
    c.timeout_ms,
    ctx,
    (a) => readLinkedIn(a, ctx.now),
  );
  if (!r.ok) return r;
  const rows: PulledRow[] = [];
  for (const e of (r.body as { elements?: Element[] }).elements ?? []) {
    const s = e.dateRange?.start;
    const urn = str(e.pivotValues?.[0]);
    const id = urn ? (CAMPAIGN_URN.exec(urn)?.[1] ?? null) : null;
    const spend = num(e.costInLocalCurrency);
    if (!s?.year || !s.month || !s.day || id === null || spend === null) continue;
    rows.push({
      date: `${s.year}-${pad(s.month)}-${pad(s.day)}`,
      platform: "linkedin",
      account: c.account_id,
      campaign: id,
      campaignId: id,
      ad: null,
      adId: null,
      spend,
      currency: c.currency ?? ctx.currency,
      impressions: whole(e.impressions),
      clicks: whole(e.clicks),
    });
  }
  return { ok: true, rows, requests: 1 };
}
