/**
 * A fake TikTok integrated report (test/fixtures/platform-spend-apis.md, TikTok):
 * `GET /open_api/v1.3/report/integrated/get/` with `Access-Token`, `advertiser_id`,
 * `report_type=BASIC`, `data_level`, `dimensions`/`metrics` as JSON arrays, `start_date`/
 * `end_date` inclusive (≤ 30 days with `stat_time_day`), `page`/`page_size` (1–1000).
 * Answers HTTP 200 with `{code, message, request_id, data}`; metrics as strings;
 * `stat_time_day` as "YYYY-MM-DD 00:00:00"; a bad token is code 40105; `throttle(n)` answers
 * 40100 (request too frequent) n times.
 */
import { FakeServer, type FakeAnswer, type FakeRequest } from "./fake-server.js";
import { inRange, type FakeSpendRow } from "./spend-data.js";

export interface FakeTikTokReportOptions {
  accessToken: string;
  advertiserId: string;
  rows: FakeSpendRow[];
}

const tt = (code: number, message: string, data: unknown = {}): FakeAnswer => ({
  status: 200,
  body: { code, message, request_id: "20260308000000", data },
});

function jsonList(s: string | null): string[] | null {
  try {
    const v = JSON.parse(s ?? "") as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : null;
  } catch {
    return null;
  }
}

export function tiktokReportHandler(o: FakeTikTokReportOptions, state: { throttle: number }) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.method !== "GET" || req.path !== "/open_api/v1.3/report/integrated/get/")
      return { status: 404, body: { code: 40400, message: "Not found" } };
    const token = req.headers["access-token"];
    if (!token) return tt(40104, "Access token is null, you should add it into request header.");
    if (token !== o.accessToken) return tt(40105, "The access token is invalid or has been revoked.");
    if (state.throttle > 0) {
      state.throttle--;
      return tt(40100, "Requests made too frequently.");
    }
    const q = req.query;
    if (q.get("advertiser_id") !== o.advertiserId) return tt(40001, "No permission to operate advertiser.");
    if (q.get("report_type") !== "BASIC") return tt(40002, "report_type: Not a valid choice.");
    const dims = jsonList(q.get("dimensions"));
    const metrics = jsonList(q.get("metrics"));
    if (!dims || !metrics) return tt(40002, "dimensions and metrics must be JSON arrays of strings.");
    if (!dims.includes("stat_time_day")) fake.problem("no stat_time_day dimension");
    const level = q.get("data_level");
    if (level !== "AUCTION_AD" && level !== "AUCTION_CAMPAIGN")
      return tt(40002, "data_level: Not a valid choice.");
    const since = q.get("start_date") ?? "";
    const until = q.get("end_date") ?? "";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(since) || !/^\d{4}-\d{2}-\d{2}$/.test(until))
      return tt(40002, "start_date and end_date are required.");
    if ((Date.parse(until) - Date.parse(since)) / 86_400_000 > 29)
      return tt(40002, "The time span of stat_time_day cannot exceed 30 days.");
    const page = Number(q.get("page") ?? "1");
    const size = Number(q.get("page_size") ?? "10");
    if (!(page >= 1) || !(size >= 1 && size <= 1000))
      return tt(40002, "page_size: Must be between 1 and 1000.");
    const all = inRange(o.rows, since, until);
    const list = all.slice((page - 1) * size, page * size).map((r) => ({
      dimensions: { ad_id: r.adId, stat_time_day: `${r.date} 00:00:00` },
      metrics: {
        spend: r.spend === 0 ? "-" : r.spend.toFixed(2),
        impressions: String(r.impressions),
        clicks: String(r.clicks),
        ...(metrics.includes("campaign_id") ? { campaign_id: r.campaignId } : {}),
        ...(metrics.includes("campaign_name") ? { campaign_name: r.campaignName } : {}),
        ...(metrics.includes("ad_name") ? { ad_name: r.adName } : {}),
      },
    }));
    return tt(0, "OK", {
      list,
      page_info: {
        page,
        page_size: size,
        total_number: all.length,
        total_page: Math.max(1, Math.ceil(all.length / size)),
      },
    });
  };
}

export async function startFakeTikTokReport(o: FakeTikTokReportOptions) {
  const state = { throttle: 0 };
  const fake = await new FakeServer("tiktok-report", tiktokReportHandler(o, state)).listen();
  return Object.assign(fake, { throttle: (n: number) => (state.throttle = n) });
}
