/**
 * A fake Meta Insights API (test/fixtures/platform-spend-apis.md, Meta):
 * `GET /{v}/act_{id}/insights` with `access_token` as a query parameter, `level`, `fields`,
 * `time_increment=1`, `time_range={"since","until"}` (JSON), `limit`; values as strings;
 * pages through `paging.cursors.after` with `paging.next` absent on the last page. A wrong
 * token answers Graph's code 190 OAuthException; `throttle(n)` answers code 17 (user request
 * limit) n times.
 */
import { FakeServer, type FakeAnswer, type FakeRequest } from "./fake-server.js";
import { inRange, type FakeSpendRow } from "./spend-data.js";

export interface FakeMetaInsightsOptions {
  accessToken: string;
  adAccountId: string; // digits
  currency: string;
  rows: FakeSpendRow[];
  pageSize?: number;
}

const REQUIRED_FIELDS = [
  "campaign_id",
  "campaign_name",
  "ad_id",
  "ad_name",
  "spend",
  "impressions",
  "clicks",
];

function graphError(
  code: number,
  message: string,
  type = "OAuthException",
  status = 400,
  subcode?: number,
): FakeAnswer {
  return {
    status,
    body: {
      error: { message, type, code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: "AbCdEf" },
    },
  };
}

export function metaInsightsHandler(o: FakeMetaInsightsOptions, state: { throttle: number }) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    const m = /^\/(v\d+\.\d)\/act_(\d+)\/insights$/.exec(req.path);
    if (req.method !== "GET" || !m) return graphError(100, `Unknown path components: ${req.path}`);
    if (req.query.get("access_token") !== o.accessToken)
      return graphError(190, "Invalid OAuth access token - Cannot parse access token");
    if (state.throttle > 0) {
      state.throttle--;
      return graphError(17, "(#17) User request limit reached", "OAuthException", 400, 2446079);
    }
    if (m[2] !== o.adAccountId)
      return graphError(100, "(#100) Unsupported get request.", "GraphMethodException");
    const fields = (req.query.get("fields") ?? "").split(",");
    for (const f of REQUIRED_FIELDS) if (!fields.includes(f)) fake.problem(`fields lacks ${f}`);
    if (req.query.get("level") !== "ad") fake.problem(`level ${req.query.get("level")}`);
    if (req.query.get("time_increment") !== "1") fake.problem("time_increment is not 1");
    let range: { since?: string; until?: string };
    try {
      range = JSON.parse(req.query.get("time_range") ?? "") as { since?: string; until?: string };
    } catch {
      return graphError(100, "(#100) time_range must be a JSON object");
    }
    if (!range.since || !range.until) return graphError(100, "(#100) time_range needs since and until");
    const all = inRange(o.rows, range.since, range.until);
    const size = Math.min(Number(req.query.get("limit") ?? "25"), o.pageSize ?? 500);
    const start = req.query.get("after")
      ? Number(Buffer.from(req.query.get("after")!, "base64url").toString())
      : 0;
    const page = all.slice(start, start + size);
    const end = start + page.length;
    const after = Buffer.from(String(end)).toString("base64url");
    return {
      status: 200,
      body: {
        data: page.map((r) => ({
          campaign_id: r.campaignId,
          campaign_name: r.campaignName,
          ad_id: r.adId,
          ad_name: r.adName,
          spend: String(r.spend),
          impressions: String(r.impressions),
          clicks: String(r.clicks),
          account_currency: o.currency,
          date_start: r.date,
          date_stop: r.date,
        })),
        paging: {
          cursors: { before: "MAZDZD", after },
          ...(end < all.length ? { next: `${fake.url}${req.path}?after=${after}` } : {}),
        },
      },
    };
  };
}

export async function startFakeMetaInsights(o: FakeMetaInsightsOptions) {
  const state = { throttle: 0 };
  const fake = await new FakeServer("meta-insights", metaInsightsHandler(o, state)).listen();
  return Object.assign(fake, { throttle: (n: number) => (state.throttle = n) });
}
