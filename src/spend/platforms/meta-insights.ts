/**
 * Meta Marketing API Insights (platform-apis-decisions.md B):
 * `GET /{v}/act_{id}/insights?level=ad&fields=…&time_increment=1&time_range={since,until}`,
 * `access_token` as a query parameter, every value a string, `spend` in the account currency's
 * major units. Pages follow `paging.cursors.after` while `paging.next` is present (the next
 * page is asked of the configured host, never of a URL the answer names).
 */
import { jsonOf } from "../../destinations/http-status.js";
import type { HttpAnswer } from "../../destinations/types.js";
import type { MetaSourceConfig } from "../source-config.js";
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

export const META_GRAPH_URL = "https://graph.facebook.com";
const FIELDS = "campaign_id,campaign_name,ad_id,ad_name,spend,impressions,clicks,account_currency";
const MAX_PAGES = 1000;

/** Codes Meta uses for throttling (application, user, ad account, business use case) and transient errors. */
const RETRY_CODES = new Set([1, 2, 4, 17, 32, 341, 613]);

interface MetaError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
}

function errorOf(body: unknown): MetaError | null {
  const e = (body as { error?: unknown } | null)?.error;
  return typeof e === "object" && e !== null ? e : null;
}

function describe(e: MetaError): string {
  const msg = e.message ?? "error";
  return `${msg.startsWith("(#") ? msg : `(#${e.code ?? "?"}) ${msg}`}${e.type ? ` [${e.type}${e.error_subcode ? ` ${e.error_subcode}` : ""}]` : ""}`;
}

export function readMeta(answer: HttpAnswer, now: number): Verdict {
  const v = verdictOf(answer, "Meta", now, (b) => {
    const e = errorOf(b);
    return e ? describe(e) : null;
  });
  if (v.kind === "fail" && answer.kind === "response") {
    const e = errorOf(jsonOf(answer.text));
    const code = e?.code ?? 0;
    if (e && (RETRY_CODES.has(code) || (code >= 80000 && code <= 80014)))
      return { kind: "retry", error: v.error };
  }
  if (v.kind === "ok" && errorOf(v.body))
    return { kind: "fail", error: `Meta: ${describe(errorOf(v.body)!)}` };
  return v;
}

export function metaInsightsUrl(
  c: MetaSourceConfig,
  since: string,
  until: string,
  after: string | null,
): string {
  const q = new URLSearchParams({
    level: "ad",
    fields: FIELDS,
    time_increment: "1",
    time_range: JSON.stringify({ since, until }),
    limit: "500",
    access_token: c.access_token,
  });
  if (after) q.set("after", after);
  return `${c.endpoint ?? META_GRAPH_URL}/${c.api_version}/act_${c.ad_account_id}/insights?${q.toString()}`;
}

interface InsightsPage {
  data?: Record<string, unknown>[];
  paging?: { cursors?: { after?: string }; next?: string };
}

export async function pullMeta(c: MetaSourceConfig, ctx: PullContext): Promise<PullResult> {
  const rows: PulledRow[] = [];
  let after: string | null = null;
  let requests = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    requests++;
    const r = await requestWithRetries(
      { method: "GET", url: metaInsightsUrl(c, ctx.since, ctx.until, after), headers: {}, body: "" },
      c.timeout_ms,
      ctx,
      (a) => readMeta(a, ctx.now),
    );
    if (!r.ok) return r;
    const body = r.body as InsightsPage;
    for (const d of body.data ?? []) {
      const spend = num(d.spend);
      const date = str(d.date_start);
      const campaignId = str(d.campaign_id);
      if (spend === null || date === null || campaignId === null) continue;
      rows.push({
        date,
        platform: "meta",
        account: `act_${c.ad_account_id}`,
        campaign: str(d.campaign_name) ?? campaignId,
        campaignId,
        ad: str(d.ad_name) ?? str(d.ad_id),
        adId: str(d.ad_id),
        spend,
        currency: (str(d.account_currency) ?? c.currency ?? ctx.currency).toUpperCase(),
        impressions: whole(d.impressions),
        clicks: whole(d.clicks),
      });
    }
    const next = body.paging?.next;
    after = body.paging?.cursors?.after ?? null;
    if (!next || !after) break;
  }
  return { ok: true, rows, requests };
}
