/**
 * POST /v1/spend and GET /v1/reports/performance over HTTP, on the embedded store and on
 * PostgreSQL: rows answered one by one, a repeat replacing its key, bad rows rejected naming
 * the field, and the report's figures (spend by day in the workspace's timezone, credit under
 * any model, CPA and ROAS, other currencies apart).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, postgresAvailable, type TestSchema } from "../postgres/pg-test-db.js";
import { createWorkspace, startInProcess } from "../helpers/server.js";

const pgUp = await postgresAvailable("the PostgreSQL run of the spend API tests");
type Tally = Awaited<ReturnType<typeof startInProcess>>;

const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

describe.each([
  ["sqlite", false],
  ["postgres", !pgUp],
] as const)("spend API on %s", (backend, skip) => {
  describe.skipIf(skip)("", () => {
    let tally: Tally;
    let schema: TestSchema | null = null;
    beforeAll(async () => {
      if (backend === "postgres") schema = await createTestSchema();
      tally = await startInProcess(schema ? { TALLY_DATABASE_URL: schema.url } : {});
    });
    afterAll(async () => {
      await tally?.cleanup();
      await schema?.drop();
    });

    it("answers row by row: good rows stored, bad rows rejected naming the field", async () => {
      const ws = await createWorkspace(tally.url);
      const res = await ws.api("POST", "/v1/spend", {
        data: [
          { date: daysAgo(1), platform: "meta", campaign: "Brand", spend: 120.5 },
          { date: daysAgo(1), platform: "meta", campaign: "Brand", spend: -3 },
          { date: daysAgo(1), platform: "meta", campaign: "Brand", spend: "lots" },
          { date: daysAgo(1), platform: "meta", campaign: "Brand", spend: 1, currency: "ZZZ" },
          { date: "2026-02-30", platform: "meta", campaign: "Brand", spend: 1 },
          { date: daysAgo(2), platform: "google", campaign: "Search", ad: "Ad 1", spend: 30, clicks: 12 },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 6, accepted: 2, duplicates: 0, rejected: 4 });
      const r = res.body.results as {
        index: number;
        status: string;
        id?: string;
        error?: { code: string; field: string };
      }[];
      expect(r.map((x) => x.status)).toEqual([
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
      ]);
      expect(r.slice(1, 5).map((x) => [x.error!.code, x.error!.field])).toEqual([
        ["invalid_field", "spend"],
        ["invalid_field", "spend"],
        ["invalid_field", "currency"],
        ["invalid_field", "date"],
      ]);
      expect(r[0]!.id).toMatch(/^spd_/);
    });

    it("replaces a row sent again with the same key", async () => {
      const ws = await createWorkspace(tally.url);
      const row = { date: daysAgo(1), platform: "tiktok", account: "7000", campaign: "Spring", spend: 10 };
      const first = await ws.api("POST", "/v1/spend", { data: [row] });
      const again = await ws.api("POST", "/v1/spend", { data: [{ ...row, spend: 25, impressions: 1000 }] });
      expect(again.body.results[0].id).toBe(first.body.results[0].id);
      const rep = await ws.api(
        "GET",
        `/v1/reports/performance?from=${daysAgo(7)}T00:00:00Z&group_by=campaign`,
      );
      expect(rep.status).toBe(200);
      expect(rep.body.rows).toEqual([
        expect.objectContaining({
          key: "Spring",
          platform: "tiktok",
          spend: 25,
          impressions: 1000,
          account: "7000",
        }),
      ]);
    });

    it("meets spend and attributed conversions per campaign, under any model, with CPA and ROAS", async () => {
      const ws = await createWorkspace(tally.url);
      const now = Math.floor(Date.now() / 1000);
      await ws.api("POST", "/v1/spend", {
        data: [
          { date: today, platform: "google", campaign: "Brand", campaign_id: "111", spend: 40, clicks: 20 },
          { date: today, platform: "meta", campaign: "Retarget", spend: 25 },
          {
            date: today,
            platform: "meta",
            account: "act_eu",
            campaign: "Retarget",
            spend: 7,
            currency: "EUR",
          },
        ],
      });
      const clicks = await ws.api("POST", "/v1/clicks", {
        data: [
          { time: now - 3600, platform: "google", campaign: "111", gclid: "g-1" },
          { time: now - 1800, platform: "meta", campaign: "retarget", fbclid: "f-1" },
        ],
      });
      expect(clicks.body.accepted).toBe(2);
      const events = await ws.api("POST", "/v1/events", {
        data: [
          {
            event_name: "Purchase",
            event_time: now - 60,
            user_data: { gclid: "g-1" },
            custom_data: { value: 100, currency: "USD" },
          },
          {
            event_name: "Purchase",
            event_time: now - 50,
            user_data: { gclid: "g-1" },
            custom_data: { value: 60, currency: "USD" },
          },
          {
            event_name: "Purchase",
            event_time: now - 40,
            user_data: { fbclid: "f-1" },
            custom_data: { value: 50, currency: "EUR" },
          },
        ],
      });
      expect(events.body.accepted).toBe(3);
      const from = new Date(Date.now() - 2 * DAY).toISOString();
      for (const model of ["last_click", "linear", "position_based"]) {
        const rep = await ws.api(
          "GET",
          `/v1/reports/performance?from=${from}&model=${model}&group_by=campaign`,
        );
        expect(rep.status).toBe(200);
        expect(rep.body).toMatchObject({ model, currency: "USD" });
        const google = rep.body.rows.find((r: { platform: string }) => r.platform === "google");
        expect(google).toMatchObject({
          key: "Brand",
          campaign_id: "111",
          spend: 40,
          clicks: 20,
          conversions: 2,
          value: 160,
          cpa: 20,
          roas: 4,
        });
        const meta = rep.body.rows.find((r: { platform: string }) => r.platform === "meta");
        // A EUR conversion counts, its value does not; EUR spend is apart.
        expect(meta).toMatchObject({
          key: "Retarget",
          spend: 25,
          conversions: 1,
          value: 0,
          cpa: 25,
          roas: 0,
        });
        expect(rep.body.other_currencies).toEqual({ EUR: { spend: 7, conversions: 1, value: 50 } });
        expect(rep.body.totals).toMatchObject({
          spend: 65,
          conversions: 3,
          value: 160,
          cpa: 65 / 3,
          roas: 160 / 65,
        });
      }
      const byPlatform = await ws.api("GET", `/v1/reports/performance?from=${from}&group_by=platform`);
      expect(byPlatform.body.rows.map((r: { key: string }) => r.key).sort()).toEqual(["google", "meta"]);
    });

    it("counts a day's spend when the day starts in [from, to) in the workspace's timezone", async () => {
      const ws = await createWorkspace(tally.url, undefined, "Tokyo shop", { timezone: "Asia/Tokyo" });
      await ws.api("POST", "/v1/spend", {
        data: [
          { date: "2026-03-01", platform: "meta", campaign: "A", spend: 1 },
          { date: "2026-03-02", platform: "meta", campaign: "A", spend: 2 },
        ],
      });
      // 2026-03-02 starts at 2026-03-01T15:00Z in Tokyo.
      const q = async (from: string, to: string) =>
        (await ws.api("GET", `/v1/reports/performance?from=${from}&to=${to}`)).body.totals.spend;
      expect(await q("2026-03-01T15:00:00Z", "2026-03-02T15:00:00Z")).toBe(2);
      expect(await q("2026-02-28T15:00:00Z", "2026-03-01T15:00:01Z")).toBe(3);
      expect(await q("2026-02-28T15:00:01Z", "2026-03-01T15:00:00Z")).toBe(0);
    });

    it.each([
      ["group_by=creative", "group_by"],
      ["model=best", "model"],
      ["from=yesterday", "from"],
      ["from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from"],
    ])("refuses a report query %s naming the field", async (qs, field) => {
      const ws = await createWorkspace(tally.url);
      const res = await ws.api("GET", `/v1/reports/performance?${qs}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_query", details: { field } });
    });

    it("refuses an empty or oversized batch and a public key", async () => {
      const ws = await createWorkspace(tally.url);
      expect((await ws.api("POST", "/v1/spend", { data: [] })).status).toBe(422);
      const big = Array.from({ length: 1001 }, () => ({
        date: today,
        platform: "meta",
        campaign: "A",
        spend: 1,
      }));
      expect((await ws.api("POST", "/v1/spend", { data: big })).status).toBe(413);
      const pub = await fetch(`${tally.url}/v1/spend`, {
        method: "POST",
        headers: { authorization: `Bearer ${ws.public_key}`, "content-type": "application/json" },
        body: JSON.stringify({ data: [{ date: today, platform: "meta", campaign: "A", spend: 1 }] }),
      });
      expect(pub.status).toBe(403);
    });
  });
});
