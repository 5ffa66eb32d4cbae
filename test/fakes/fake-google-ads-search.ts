/**
 * A fake Google Ads GAQL search (test/fixtures/platform-spend-apis.md, Google):
 * `POST /{v}/customers/{cid}/googleAds:search` with `{query, pageToken?}` (no `pageSize`:
 * PAGE_SIZE_NOT_SUPPORTED), `Authorization: Bearer`, `developer-token`; rows in proto3 JSON
 * (camelCase, int64 as strings, `costMicros`); `nextPageToken` absent on the last page.
 * A wrong token answers 401 UNAUTHENTICATED; `POST /token` plays the OAuth refresh.
 */
import { FakeServer, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";
import { inRange, type FakeSpendRow } from "./spend-data.js";

export interface FakeGoogleAdsSearchOptions {
  customerId: string;
  developerToken: string;
  accessToken: string;
  refreshToken?: string;
  rows: FakeSpendRow[];
  pageSize?: number;
}

function rpcError(
  status: number,
  code: string,
  message: string,
  errorCode: Record<string, string>,
): FakeAnswer {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: code,
        details: [
          {
            "@type": "type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure",
            errors: [{ errorCode, message }],
            requestId: "req-1",
          },
        ],
      },
    },
  };
}

const QUERY =
  /^SELECT (.+) FROM (ad_group_ad|campaign) WHERE segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'$/;

export function googleAdsSearchHandler(o: FakeGoogleAdsSearchOptions) {
  const tokens = new Set([o.accessToken]);
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.path === "/token" && req.method === "POST") {
      const form = new URLSearchParams(req.raw);
      if (!o.refreshToken || form.get("refresh_token") !== o.refreshToken)
        return { status: 400, body: { error: "invalid_grant", error_description: "Bad Request" } };
      const t = `ya29.fake-${tokens.size}`;
      tokens.add(t);
      return { status: 200, body: { access_token: t, expires_in: 3599, token_type: "Bearer" } };
    }
    const m = /^\/(v\d+)\/customers\/(\d{10})\/googleAds:search$/.exec(req.path);
    if (req.method !== "POST" || !m)
      return { status: 404, body: { error: { code: 404, message: "Not Found" } } };
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !tokens.has(auth.slice(7)))
      return rpcError(401, "UNAUTHENTICATED", "Request is missing required authentication credential.", {
        authenticationError: "OAUTH_TOKEN_INVALID",
      });
    if (req.headers["developer-token"] !== o.developerToken)
      return rpcError(401, "UNAUTHENTICATED", "The developer token is not valid.", {
        authenticationError: "DEVELOPER_TOKEN_INVALID",
      });
    if (m[2] !== o.customerId)
      return rpcError(403, "PERMISSION_DENIED", "The caller does not have permission", {
        authorizationError: "USER_PERMISSION_DENIED",
      });
    if (!isObject(req.body) || typeof req.body.query !== "string")
      return rpcError(400, "INVALID_ARGUMENT", "query is required", { requestError: "INVALID_INPUT" });
    if ("pageSize" in req.body)
      return rpcError(400, "INVALID_ARGUMENT", "Page size is not supported.", {
        requestError: "PAGE_SIZE_NOT_SUPPORTED",
      });
    const q = QUERY.exec(req.body.query);
    if (!q) return rpcError(400, "INVALID_ARGUMENT", "Error in query", { queryError: "UNEXPECTED_INPUT" });
    for (const f of ["segments.date", "campaign.id", "campaign.name", "metrics.cost_micros"])
      if (!q[1]!.includes(f)) fake.problem(`query lacks ${f}`);
    const all = inRange(o.rows, q[3]!, q[4]!);
    const size = o.pageSize ?? 10_000;
    const start = typeof req.body.pageToken === "string" ? Number(req.body.pageToken.slice(5)) : 0;
    const page = all.slice(start, start + size);
    const end = start + page.length;
    return {
      status: 200,
      body: {
        results: page.map((r) => ({
          campaign: {
            resourceName: `customers/${o.customerId}/campaigns/${r.campaignId}`,
            id: r.campaignId,
            name: r.campaignName,
          },
          adGroup: { resourceName: `customers/${o.customerId}/adGroups/222`, id: "222" },
          adGroupAd: {
            resourceName: `customers/${o.customerId}/adGroupAds/222~${r.adId}`,
            ad: { resourceName: `customers/${o.customerId}/ads/${r.adId}`, id: r.adId },
          },
          metrics: {
            costMicros: String(Math.round(r.spend * 1_000_000)),
            clicks: String(r.clicks),
            impressions: String(r.impressions),
          },
          segments: { date: r.date },
        })),
        ...(end < all.length ? { nextPageToken: `page-${end}` } : {}),
        fieldMask:
          "segments.date,campaign.id,campaign.name,adGroup.id,adGroupAd.ad.id,metrics.costMicros,metrics.clicks,metrics.impressions",
        queryResourceConsumption: "120",
      },
    };
  };
}

export async function startFakeGoogleAdsSearch(o: FakeGoogleAdsSearchOptions): Promise<FakeServer> {
  return new FakeServer("google-ads-search", googleAdsSearchHandler(o)).listen();
}
