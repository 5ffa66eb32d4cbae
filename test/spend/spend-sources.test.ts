/**
 * Spend sources against local fakes of the four reporting APIs (test/fakes/fake-*-spend
 * shapes follow test/fixtures/platform-spend-apis.md): credentials sealed and never answered,
 * pages followed, rate limits waited out, refused credentials shown on the source, and — for
 * each platform — a click and a conversion attributed to a campaign meeting that campaign's
 * pulled spend in the performance report.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, startInProcess } from "../helpers/server.js";
import type { FakeServer } from "../fakes/fake-server.js";
import { startFakeGoogleAdsSearch } from "../fakes/fake-google-ads-search.js";
import { startFakeLinkedInAnalytics } from "../fakes/fake-linkedin-analytics.js";
import { startFakeMetaInsights } from "../fakes/fake-meta-insights.js";
import { startFakeTikTokReport } from "../fakes/fake-tiktok-report.js";
import type { FakeSpendRow } from "../fakes/spend-data.js";
import { readOutOfProcess } from "../helpers/store-files.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

const DAY = 86_400_000;
const date = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

/** Two campaigns, two ads each, over the last three days, and an old day outside the pull. */
function dataset(prefix: string): FakeSpendRow[] {
  const rows: FakeSpendRow[] = [];
  for (const n of [0, 1, 2, 10])
    for (const [c, name] of [
      [`${prefix}1`, "Brand"],
      [`${prefix}2`, "Prospecting"],
    ] as const)
      for (const a of ["1", "2"])
        rows.push({
          date: date(n),
          campaignId: c,
          campaignName: name,
          adId: `${c}0${a}`,
          adName: `Ad ${a}`,
          spend: 10 + Number(a),
          impressions: 1000,
          clicks: 20,
        });
  return rows;
}

const SECRET = "tok_secret_never_shown_0123456789";

interface Case {
  type: string;
  platform: string;
  start(): Promise<FakeServer & { throttle?: (n: number) => void }>;
  config(url: string, token: string): Record<string, unknown>;
  /** What a click for the Brand campaign carries: its id, or its name where the platform's rows have one. */
  click: Record<string, unknown>;
  /** Spend of Brand pulled over the last 3 days. */
  brandSpend: number;
  rows: number;
  badToken: RegExp;
}

const CASES: Case[] = [
  {
    type: "meta",
    platform: "meta",
    start: () =>
      startFakeMetaInsights({
        accessToken: SECRET,
        adAccountId: "123",
        currency: "USD",
        rows: dataset("12021"),
        pageSize: 5,
      }),
    config: (url, token) => ({ ad_account_id: "act_123", access_token: token, endpoint: url }),
    click: { platform: "meta", campaign: "120211", ad: "12021101", fbclid: "fb-brand" },
    brandSpend: 3 * (11 + 12),
    rows: 12,
    badToken: /Meta answered 400: \(#190\) Invalid OAuth access token/,
  },
  {
    type: "google_ads",
    platform: "google",
    start: () =>
      startFakeGoogleAdsSearch({
        customerId: "1234567890",
        developerToken: "dev-token",
        accessToken: SECRET,
        rows: dataset("11"),
        pageSize: 5,
      }),
    config: (url, token) => ({
      customer_id: "123-456-7890",
      developer_token: "dev-token",
      access_token: token,
      endpoint: url,
    }),
    click: { platform: "google", campaign: "Brand", gclid: "g-brand" },
    brandSpend: 3 * (11 + 12),
    rows: 12,
    badToken: /Google Ads answered 401: UNAUTHENTICATED: OAUTH_TOKEN_INVALID/,
  },
  {
    type: "tiktok",
    platform: "tiktok",
    start: () =>
      startFakeTikTokReport({ accessToken: SECRET, advertiserId: "7000000000001", rows: dataset("179") }),
    config: (url, token) => ({ advertiser_id: "7000000000001", access_token: token, endpoint: url }),
    click: { platform: "tiktok", campaign: "1791", ttclid: "tt-brand" },
    brandSpend: 3 * (11 + 12),
    rows: 12,
    badToken: /TikTok code 40105: The access token is invalid/,
  },
  {
    type: "linkedin",
    platform: "linkedin",
    start: () =>
      startFakeLinkedInAnalytics({ accessToken: SECRET, accountId: "5110", rows: dataset("14528") }),
    config: (url, token) => ({
      account_id: "urn:li:sponsoredAccount:5110",
      access_token: token,
      endpoint: url,
    }),
    click: { platform: "linkedin", campaign: "145281", li_fat_id: "li-brand" },
    brandSpend: 3 * (11 + 12),
    rows: 6, // campaign level: one row per campaign and day
    badToken: /LinkedIn answered 401: Invalid access token \(serviceErrorCode 65600\)/,
  },
];

let tally: Tally;
beforeAll(async () => {
  tally = await startInProcess();
});
afterAll(async () => {
  await tally?.cleanup();
});

async function createSource(ws: Ws, c: Case, url: string, token = SECRET) {
  const res = await ws.api("POST", "/v1/spend-sources", { type: c.type, config: c.config(url, token) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; config: Record<string, unknown> };
}

describe.each(CASES)("spend source $type", (c) => {
  let fake: Awaited<ReturnType<Case["start"]>>;
  beforeAll(async () => {
    fake = await c.start();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("pulls the last 3 days page by page; a click and a conversion of the campaign meet its spend", async () => {
    const ws = await createWorkspace(tally.url);
    const src = await createSource(ws, c, fake.url);
    expect(JSON.stringify(src)).not.toContain(SECRET);
    expect(src.config).toMatchObject({ endpoint: fake.url, lookback_days: 3 });

    const sync = await ws.api("POST", `/v1/spend-sources/${src.id}/sync`);
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({
      id: src.id,
      last_error: null,
      last_rows: c.rows,
      synced: { ok: true, rows: c.rows },
    });
    expect(fake.problems).toEqual([]);

    const now = Math.floor(Date.now() / 1000);
    const click = await ws.api("POST", "/v1/clicks", { data: [{ time: now - 600, ...c.click }] });
    expect(click.body.accepted).toBe(1);
    const clickId = Object.entries(c.click).find(([k]) => !["platform", "campaign", "ad"].includes(k))!;
    const conv = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: now - 60,
          user_data: { [clickId[0]]: clickId[1] },
          custom_data: { value: 92, currency: "USD" },
        },
      ],
    });
    expect(conv.body.accepted).toBe(1);

    const from = new Date(Date.now() - 5 * DAY).toISOString();
    const rep = await ws.api("GET", `/v1/reports/performance?from=${from}&group_by=campaign`);
    const brand = rep.body.rows.find(
      (r: { key: string; platform: string; conversions: number }) =>
        r.platform === c.platform && r.conversions > 0,
    );
    expect(brand, JSON.stringify(rep.body.rows)).toMatchObject({
      spend: c.brandSpend,
      conversions: 1,
      value: 92,
      cpa: c.brandSpend,
      roas: 92 / c.brandSpend,
    });
    expect(brand.campaign_id).toBe(c.click.campaign === "Brand" ? "111" : c.click.campaign);
    // Nothing from the day outside the pull.
    expect(rep.body.totals.spend).toBe(2 * c.brandSpend + (c.rows === 6 ? 0 : 0));
  });

  it("shows the platform's refusal of the credentials on the source, and tries again on schedule", async () => {
    const ws = await createWorkspace(tally.url);
    const src = await createSource(ws, c, fake.url, "tok_wrong_0123456789");
    const sync = await ws.api("POST", `/v1/spend-sources/${src.id}/sync`);
    expect(sync.status).toBe(200);
    expect(sync.body.synced.ok).toBe(false);
    expect(sync.body.last_error).toMatch(c.badToken);
    const got = await ws.api("GET", `/v1/spend-sources/${src.id}`);
    expect(got.body.last_error).toMatch(c.badToken);
    expect(Date.parse(got.body.next_sync_at) - Date.parse(got.body.last_sync_at)).toBe(60 * 60_000);
    expect(JSON.stringify(got.body)).not.toContain("tok_wrong");
  });

  it("waits out a rate limit and finishes the pull", async () => {
    const ws = await createWorkspace(tally.url);
    const src = await createSource(ws, c, fake.url);
    const before = fake.requests.length;
    if (fake.throttle) fake.throttle(1);
    else
      fake.failNext(1, {
        kind: "answer",
        answer: { status: 429, headers: { "retry-after": "1" }, body: {} },
      });
    const sync = await ws.api("POST", `/v1/spend-sources/${src.id}/sync`);
    expect(sync.body.synced, JSON.stringify(sync.body)).toMatchObject({ ok: true, rows: c.rows });
    expect(fake.requests.length - before).toBeGreaterThan(1);
  });
});

describe("spend sources", () => {
  it("keeps credentials sealed at rest and never lists them", async () => {
    const ws = await createWorkspace(tally.url);
    const res = await ws.api("POST", "/v1/spend-sources", {
      type: "tiktok",
      config: { advertiser_id: "7000000000001", access_token: SECRET, endpoint: "http://127.0.0.1:9" },
    });
    expect(res.status).toBe(201);
    const list = await ws.api("GET", "/v1/spend-sources");
    expect(list.body.data.map((s: { id: string }) => s.id)).toContain(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain(SECRET);
    const files = readdirSync(tally.dataDir).filter((f) => f.startsWith("tally.db"));
    for (const f of files) expect(readOutOfProcess(join(tally.dataDir, f)).includes(SECRET)).toBe(false);
    const del = await ws.api("DELETE", `/v1/spend-sources/${res.body.id}`);
    expect(del.body).toEqual({ id: res.body.id, deleted: true });
    expect((await ws.api("GET", `/v1/spend-sources/${res.body.id}`)).status).toBe(404);
  });

  it.each([
    [{ type: "snapchat", config: {} }, "type"],
    [{ type: "meta", config: { access_token: "x" } }, "config.ad_account_id"],
    [{ type: "meta", config: { ad_account_id: "act_1", access_token: "x", pixel: 1 } }, "config.pixel"],
    [
      { type: "google_ads", config: { customer_id: "123", developer_token: "d", access_token: "a" } },
      "config.customer_id",
    ],
    [
      { type: "google_ads", config: { customer_id: "1234567890", developer_token: "d" } },
      "config.access_token",
    ],
    [
      { type: "tiktok", config: { advertiser_id: "1", access_token: "a", lookback_days: 31 } },
      "config.lookback_days",
    ],
    [
      { type: "linkedin", config: { account_id: "5110", access_token: "a", currency: "XYZ" } },
      "config.currency",
    ],
    [
      { type: "linkedin", config: { account_id: "5110", access_token: "a" }, interval_minutes: 0 },
      "interval_minutes",
    ],
  ])("refuses %j naming %s", async (body, field) => {
    const ws = await createWorkspace(tally.url);
    const res = await ws.api("POST", "/v1/spend-sources", body);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "validation_failed", details: { field } });
  });

  it("answers 404 for an unknown or foreign source", async () => {
    const a = await createWorkspace(tally.url);
    const b = await createWorkspace(tally.url);
    const src = await a.api("POST", "/v1/spend-sources", {
      type: "tiktok",
      config: { advertiser_id: "1", access_token: "a", endpoint: "http://127.0.0.1:9" },
    });
    for (const [m, p] of [
      ["GET", `/v1/spend-sources/${src.body.id}`],
      ["POST", `/v1/spend-sources/${src.body.id}/sync`],
      ["DELETE", `/v1/spend-sources/${src.body.id}`],
      ["GET", "/v1/spend-sources/src_nope"],
    ] as const)
      expect((await b.api(m, p)).status).toBe(404);
  });
});

describe("spend sources without private endpoints", () => {
  let strict: Tally;
  beforeAll(async () => {
    strict = await startInProcess({ TALLY_ALLOW_PRIVATE_ENDPOINTS: "0" });
  });
  afterAll(async () => {
    await strict?.cleanup();
  });

  it.each([
    "http://127.0.0.1:8080",
    "https://10.0.0.1",
    "https://169.254.169.254/latest",
    "https://localhost",
  ])("refuses the endpoint %s as destinations do", async (endpoint) => {
    const ws = await createWorkspace(strict.url);
    const res = await ws.api("POST", "/v1/spend-sources", {
      type: "meta",
      config: { ad_account_id: "1", access_token: "a", endpoint },
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: "endpoint_not_allowed",
      details: { field: "config.endpoint" },
    });
  });
});
