/**
 * A fake LinkedIn adAnalytics (test/fixtures/platform-spend-apis.md, LinkedIn):
 * `GET /rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=(start:(…),end:(…))
 * &accounts=List(urn%3Ali%3AsponsoredAccount%3A…)&fields=…` with `Authorization: Bearer`,
 * `LinkedIn-Version: YYYYMM`, `X-Restli-Protocol-Version: 2.0.0`. No pagination; cost as a
 * decimal string, counts as integers; campaigns as `urn:li:sponsoredCampaign:{id}`. A wrong
 * token answers 401 with `serviceErrorCode` 65600.
 */
import { FakeServer, type FakeAnswer, type FakeRequest } from "./fake-server.js";
import { inRange, type FakeSpendRow } from "./spend-data.js";

export interface FakeLinkedInAnalyticsOptions {
  accessToken: string;
  accountId: string;
  rows: FakeSpendRow[];
}

const DATE =
  /^\(start:\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\),end:\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\)\)$/;
const pad = (s: string) => s.padStart(2, "0");

export function linkedinAnalyticsHandler(o: FakeLinkedInAnalyticsOptions) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.method !== "GET" || req.path !== "/rest/adAnalytics")
      return { status: 404, body: { status: 404, message: "Resource not found" } };
    if (req.headers.authorization !== `Bearer ${o.accessToken}`)
      return {
        status: 401,
        body: {
          status: 401,
          serviceErrorCode: 65600,
          code: "INVALID_ACCESS_TOKEN",
          message: "Invalid access token",
        },
      };
    if (!/^\d{6}$/.test(req.headers["linkedin-version"] ?? ""))
      return {
        status: 426,
        body: { status: 426, code: "NONEXISTENT_VERSION", message: "Requested version is not active" },
      };
    if (req.headers["x-restli-protocol-version"] !== "2.0.0")
      fake.problem("no X-Restli-Protocol-Version 2.0.0");
    const q = req.query;
    if (q.get("q") !== "analytics")
      return { status: 400, body: { status: 400, message: "q must be analytics" } };
    if (q.get("pivot") !== "CAMPAIGN" && q.get("pivot") !== "CREATIVE")
      fake.problem(`pivot ${q.get("pivot")}`);
    if (q.get("timeGranularity") !== "DAILY") fake.problem(`timeGranularity ${q.get("timeGranularity")}`);
    const d = DATE.exec(q.get("dateRange") ?? "");
    if (!d) return { status: 400, body: { status: 400, message: "Invalid dateRange" } };
    if (q.get("accounts") !== `List(urn:li:sponsoredAccount:${o.accountId})`)
      return { status: 200, body: { elements: [], paging: { count: 10, start: 0, links: [] } } };
    const since = `${d[1]}-${pad(d[2]!)}-${pad(d[3]!)}`;
    const until = `${d[4]}-${pad(d[5]!)}-${pad(d[6]!)}`;
    // CAMPAIGN pivot: one element per campaign and day.
    const byKey = new Map<
      string,
      { date: string; id: string; cost: number; impressions: number; clicks: number }
    >();
    for (const r of inRange(o.rows, since, until)) {
      const k = `${r.date}|${r.campaignId}`;
      const e = byKey.get(k) ?? { date: r.date, id: r.campaignId, cost: 0, impressions: 0, clicks: 0 };
      e.cost += r.spend;
      e.impressions += r.impressions;
      e.clicks += r.clicks;
      byKey.set(k, e);
    }
    return {
      status: 200,
      body: {
        elements: [...byKey.values()].map((e) => {
          const [y, m, day] = e.date.split("-").map(Number);
          return {
            costInLocalCurrency: e.cost.toFixed(5),
            impressions: e.impressions,
            clicks: e.clicks,
            dateRange: { start: { year: y, month: m, day }, end: { year: y, month: m, day } },
            pivotValues: [`urn:li:sponsoredCampaign:${e.id}`],
          };
        }),
      },
    };
  };
}

export async function startFakeLinkedInAnalytics(o: FakeLinkedInAnalyticsOptions): Promise<FakeServer> {
  return new FakeServer("linkedin-analytics", linkedinAnalyticsHandler(o)).listen();
}
