/**
 * Traffic quality end to end over HTTP, on the embedded store and on PostgreSQL: settings on
 * the workspace, the decision in the accept response, link clicks judged by their address,
 * the report, the conversions list, metrics, and `exclude` keeping flagged conversions out of
 * reports, metrics totals and forwarding while still listing them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "../postgres/pg-test-db.js";

const pgUp = await postgresAvailable("traffic quality over PostgreSQL");
const BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BROWSER =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

const purchase = (id: string, ua: string, extra: Record<string, unknown> = {}) => ({
  event_name: "Purchase",
  event_time: nowSeconds() - 60,
  event_id: id,
  action_source: "website",
  user_data: { external_id: `crm-${id}`, client_ip_address: "198.51.100.7", client_user_agent: ua, ...extra },
  custom_data: { value: 10, currency: "USD" },
});

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await fn();
    if (ok(v) || i > 100) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each([
  { name: "sqlite", skip: false },
  { name: "postgres", skip: !pgUp },
])("traffic quality over $name", ({ name, skip }) => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let schema: TestSchema | undefined;
  beforeAll(async () => {
    if (skip) return;
    if (name === "postgres") schema = await createTestSchema({ pool_max: "6" });
    t = await startInProcess(schema ? { TALLY_DATABASE_URL: schema.url } : {});
  });
  afterAll(async () => {
    if (skip) return;
    await t.cleanup();
    await schema?.drop();
  });

  it.skipIf(skip)(
    "settings: defaults shown, patched, reset with null, bad ones refused naming the field",
    async () => {
      const ws = await createWorkspace(t.url);
      expect((await ws.api("GET", "/v1/workspace")).body).toMatchObject({
        quality: {
          min_click_to_conversion_seconds: 3,
          max_clicks_per_ip_per_minute: 20,
          max_conversions_per_identity_per_hour: 5,
        },
        flagged_conversions: "count",
      });
      const p = await ws.api("PATCH", "/v1/workspace", {
        quality: { max_clicks_per_ip_per_minute: 3 },
        flagged_conversions: "exclude",
      });
      expect(p.status).toBe(200);
      expect(p.body.quality.max_clicks_per_ip_per_minute).toBe(3);
      expect(p.body.flagged_conversions).toBe("exclude");
      const reset = await ws.api("PATCH", "/v1/workspace", {
        quality: { max_clicks_per_ip_per_minute: null },
      });
      expect(reset.body.quality.max_clicks_per_ip_per_minute).toBe(20);
      for (const [body, field] of [
        [{ quality: { max_clicks_per_ip_per_minute: 0 } }, "quality.max_clicks_per_ip_per_minute"],
        [{ quality: { nope: 1 } }, "quality.nope"],
        [{ flagged_conversions: "drop" }, "flagged_conversions"],
      ] as const) {
        const r = await ws.api("PATCH", "/v1/workspace", body);
        expect(r.status).toBe(422);
        expect(r.body.error.details.field).toBe(field);
      }
    },
  );

  it.skipIf(skip)("flags travel: accept response, conversions list, metrics and the report", async () => {
    const ws = await createWorkspace(t.url);
    const res = await ws.api("POST", "/v1/events", {
      data: [
        purchase("clean-1", BROWSER),
        purchase("bot-1", BOT),
        purchase("wd-1", BROWSER, { webdriver: true }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { quality: unknown }) => r.quality)).toEqual([
      { score: 100, flags: [] },
      { score: 30, flags: ["bot"] },
      { score: 30, flags: ["bot"] },
    ]);
    const list = await ws.api("GET", "/v1/conversions");
    expect(list.body.data.map((c: { quality: { flags: string[] } }) => c.quality.flags).sort()).toEqual([
      [],
      ["bot"],
      ["bot"],
    ]);
    const metrics = await ws.api("GET", "/v1/metrics?bucket=day");
    const totals = metrics.body.buckets.reduce(
      (a: number[], b: { conversions: number; flagged: number }) => [
        a[0]! + b.conversions,
        a[1]! + b.flagged,
      ],
      [0, 0],
    );
    expect(totals).toEqual([3, 2]);
    const report = await ws.api("GET", "/v1/reports/quality");
    expect(report.status).toBe(200);
    expect(report.body.unattributed).toMatchObject({ conversions: 3, flagged_conversions: 2 });
    expect(report.body.unattributed.flags.bot).toBe(2);
    expect(report.body.top.user_agents).toHaveLength(2);
    expect(report.body.top.user_agents).toEqual(
      expect.arrayContaining([BROWSER, BOT].map((user_agent) => ({ user_agent, count: 1 }))),
    );
    expect(report.body.top.addresses).toHaveLength(1);
    expect(report.body.top.addresses[0].key).toMatch(/^a:[\w-]{8}…$/);
    expect(JSON.stringify(report.body)).not.toContain("198.51.100");
  });

  it.skipIf(skip)("a link's clicks from one address beyond the limit are flagged click_flood", async () => {
    const ws = await createWorkspace(t.url);
    await ws.api("PATCH", "/v1/workspace", { quality: { max_clicks_per_ip_per_minute: 3 } });
    const link = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/",
      platform: "google",
      campaign: "spring",
    });
    for (let i = 0; i < 5; i++) {
      const r = await fetch(link.body.url.replace(/^https?:\/\/[^/]+/, t.url), {
        redirect: "manual",
        headers: { "user-agent": BROWSER },
      });
      expect(r.status).toBe(302);
    }
    const report = await until(
      () => ws.api("GET", "/v1/reports/quality?group_by=campaign"),
      (r) => r.body.rows?.[0]?.clicks === 5,
    );
    expect(report.body.rows[0]).toMatchObject({ key: "spring", clicks: 5, flagged_clicks: 2 });
    expect(report.body.rows[0].flags).toMatchObject({ click_flood: 2, bot: 0 });
    expect(
      report.body.series.reduce((n: number, s: { flagged_clicks: number }) => n + s.flagged_clicks, 0),
    ).toBe(2);
    const metrics = await ws.api("GET", "/v1/metrics?bucket=day");
    expect(
      metrics.body.buckets.reduce((n: number, b: { flagged_clicks: number }) => n + b.flagged_clicks, 0),
    ).toBe(2);
  });

  it.skipIf(skip)(
    "exclude: flagged conversions are listed but out of reports, metrics totals and forwarding",
    async () => {
      const ws = await createWorkspace(t.url);
      await ws.api("PATCH", "/v1/workspace", { flagged_conversions: "exclude" });
      const dst = await ws.api("POST", "/v1/destinations", {
        type: "webhook",
        name: "hook",
        config: { url: "http://127.0.0.1:9/hook", secret: "s".repeat(32) },
      });
      expect(dst.status).toBe(201);
      const res = await ws.api("POST", "/v1/events", {
        data: [purchase("ok-1", BROWSER), purchase("bot-2", BOT)],
      });
      const [clean, bot] = res.body.results as { id: string }[];
      expect((await ws.api("GET", "/v1/conversions")).body.data).toHaveLength(2);
      const report = await ws.api("GET", "/v1/reports/attribution");
      expect(report.body.unattributed).toEqual({ conversions: 1, value: 10 });
      const metrics = await ws.api("GET", "/v1/metrics?bucket=day");
      const sum = (k: string) =>
        metrics.body.buckets.reduce((n: number, b: Record<string, number>) => n + b[k]!, 0);
      expect([sum("conversions"), sum("value"), sum("flagged")]).toEqual([1, 10, 1]);
      const deliveries = await ws.api("GET", `/v1/destinations/${dst.body.id}/deliveries`);
      const ids = deliveries.body.data.map((d: { id: string }) => d.id);
      expect(ids).toContain(clean!.id);
      expect(ids).not.toContain(bot!.id);
    },
  );
});
