/**
 * Rules that `apply` their signals, against local fakes of the four platforms' budget APIs
 * (test/fakes/fake-budgets.ts): the daily budget moves by `change_pct` within
 * `max_daily_change_pct` per key and day, `pause` pauses, the platform's answer is recorded on
 * the signal, a refusal is recorded as failed, an outage is retried, and a dry run changes
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import { until } from "../fakes/fake-server.js";
import { startFakeBudgets, type FakeBudgets, type Platform } from "../fakes/fake-budgets.js";
import { ADMIN_TOKEN, createWorkspace, startInProcess } from "../helpers/server.js";
import type { Api } from "../destinations/helpers.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
const fakes = new Map<Platform, FakeBudgets>();
const TOKEN = "tok-budget-0123456789";

const SOURCE_TYPE = { meta: "meta", google: "google_ads", tiktok: "tiktok", linkedin: "linkedin" } as const;
const CAMPAIGN = { meta: "120210", google: "111", tiktok: "1790000000001", linkedin: "145282384" } as const;

beforeAll(async () => {
  tally = await startInProcess();
  for (const p of ["meta", "google", "tiktok", "linkedin"] as const)
    fakes.set(p, await startFakeBudgets(p, TOKEN));
});
afterAll(async () => {
  await tally?.cleanup();
  for (const f of fakes.values()) await f.close();
});

/** A spend source of `platform` pointing at its fake, stored as the spend API stores one. */
async function source(workspaceId: string, platform: Platform): Promise<string> {
  const f = fakes.get(platform)!;
  const config = {
    meta: { type: "meta", ad_account_id: "123", access_token: TOKEN, api_version: "v25.0" },
    google: {
      type: "google_ads",
      customer_id: "1234567890",
      developer_token: "dev-token",
      access_token: TOKEN,
    },
    tiktok: { type: "tiktok", advertiser_id: "7000000000001", access_token: TOKEN },
    linkedin: { type: "linkedin", account_id: "5110", access_token: TOKEN, version: "202601" },
  }[platform];
  const id = newId("src");
  const now = Date.now();
  await tally.deps.store.spend.createSource({
    id,
    workspaceId,
    type: SOURCE_TYPE[platform],
    name: platform,
    configEnc: tally.deps.cipher.encrypt(JSON.stringify({ ...config, endpoint: f.url, timeout_ms: 5000 })),
    intervalMinutes: 60,
    createdAt: now,
    lastSyncAt: null,
    lastError: null,
    lastRows: null,
    nextSyncAt: now + 86_400_000,
  });
  return id;
}

/** Today's spend of the platform's campaign "Brand" (with its id), no conversions: ROAS 0. */
async function spend(workspaceId: string, platform: Platform, amount = 80): Promise<void> {
  await tally.deps.store.spend.upsert(
    [
      {
        workspaceId,
        date: new Date().toISOString().slice(0, 10),
        platform,
        account: "",
        campaign: "Brand",
        campaignId: CAMPAIGN[platform],
        ad: null,
        adId: null,
        spend: amount,
        currency: "USD",
        impressions: 100,
        clicks: 10,
        sourceId: null,
      },
    ],
    Date.now(),
  );
}

const RULE = {
  name: "Low ROAS",
  metric: "roas",
  op: "<",
  threshold: 1,
  window_hours: 24,
  group_by: "campaign",
  signal: "decrease_budget",
  cooldown_minutes: 0,
};

async function lastSignal(api: Api): Promise<Record<string, unknown> & { applied: Record<string, unknown> }> {
  let s: (Record<string, unknown> & { applied: Record<string, unknown> }) | undefined;
  await until(async () => {
    const list = ((await api("GET", "/v1/signals")).body as { data: (typeof s)[] }).data;
    s = list[0];
    return s !== undefined && s.applied.status !== "pending";
  }, "the signal's apply settled");
  return s!;
}

describe.each(["meta", "google", "tiktok", "linkedin"] as const)("apply through %s", (platform) => {
  it(
    "lowers the daily budget by change_pct, records the answer; the day's bound cuts the next ones",
    { timeout: 20_000 },
    async () => {
      const f = fakes.get(platform)!;
      f.campaigns.set(CAMPAIGN[platform], { budget: 100, status: "ACTIVE", currency: "USD" });
      const { id: wsId, api } = await createWorkspace(tally.url, ADMIN_TOKEN, `Apply ${platform}`);
      await spend(wsId, platform);
      const src = await source(wsId, platform);
      const rule = await api("POST", "/v1/rules", {
        ...RULE,
        apply: { spend_source: src, change_pct: 20, max_daily_change_pct: 30 },
      });
      expect(rule.status).toBe(201);
      const s = await lastSignal(api);
      expect(s).toMatchObject({
        key: "Brand",
        platform,
        campaign_id: CAMPAIGN[platform],
        signal: "decrease_budget",
      });
      expect(s.applied).toMatchObject({
        status: "applied",
        error: null,
        action: "set_daily_budget",
        from: 100,
        to: 80,
      });
      expect(f.campaigns.get(CAMPAIGN[platform])!.budget).toBe(80);

      // Fires again (cooldown 0): 80 − 20% = 64, cut to the day's bound 100 − 30% = 70.
      await api("PATCH", `/v1/rules/${(rule.body as { id: string }).id}`, { threshold: 2 });
      await until(
        async () => ((await api("GET", "/v1/signals")).body as { data: unknown[] }).data.length === 2,
        "second",
      );
      const t = await lastSignal(api);
      expect(t.applied).toMatchObject({ status: "applied", from: 80, to: 70, clamped: true });
      expect(f.campaigns.get(CAMPAIGN[platform])!.budget).toBe(70);

      // At the bound: skipped, nothing sent.
      const before = f.changes.length;
      await api("PATCH", `/v1/rules/${(rule.body as { id: string }).id}`, { threshold: 3 });
      await until(
        async () => ((await api("GET", "/v1/signals")).body as { data: unknown[] }).data.length === 3,
        "third",
      );
      expect((await lastSignal(api)).applied).toMatchObject({ status: "skipped" });
      expect(f.changes.length).toBe(before);
      expect(f.problems).toEqual([]);
    },
  );

  it(
    "pauses; a dry run changes nothing; refused credentials are recorded as failed",
    { timeout: 20_000 },
    async () => {
      const f = fakes.get(platform)!;
      f.campaigns.set(CAMPAIGN[platform], { budget: 50, status: "ACTIVE", currency: "USD" });
      const { id: wsId, api } = await createWorkspace(tally.url, ADMIN_TOKEN, `Pause ${platform}`);
      await spend(wsId, platform);
      const src = await source(wsId, platform);

      const dry = await api("POST", "/v1/rules", {
        ...RULE,
        signal: "increase_budget",
        apply: { spend_source: src, dry_run: true },
      });
      const d = await lastSignal(api);
      expect(d.applied).toMatchObject({ status: "dry_run", from: 50, to: 60, dry_run: true });
      expect(f.campaigns.get(CAMPAIGN[platform])!.budget).toBe(50);
      await api("DELETE", `/v1/rules/${(dry.body as { id: string }).id}`);

      await api("POST", "/v1/rules", {
        ...RULE,
        name: "Stop",
        signal: "pause",
        apply: { spend_source: src },
      });
      await until(
        async () => ((await api("GET", "/v1/signals")).body as { data: unknown[] }).data.length === 2,
        "pause",
      );
      expect((await lastSignal(api)).applied).toMatchObject({ status: "applied", action: "pause" });
      expect(f.campaigns.get(CAMPAIGN[platform])!.status).not.toBe("ACTIVE");

      // Another workspace's source with a token the platform refuses.
      const other = await createWorkspace(tally.url, ADMIN_TOKEN, `Refused ${platform}`);
      await spend(other.id, platform);
      const bad = await source(other.id, platform);
      const rec = (await tally.deps.store.spend.getSource(other.id, bad))!;
      const cfg = JSON.parse(tally.deps.cipher.decrypt(rec.configEnc)) as Record<string, unknown>;
      await tally.deps.store.spend.deleteSource(other.id, bad);
      const refused = newId("src");
      await tally.deps.store.spend.createSource({
        ...rec,
        id: refused,
        configEnc: tally.deps.cipher.encrypt(JSON.stringify({ ...cfg, access_token: "wrong-token" })),
      });
      await other.api("POST", "/v1/rules", { ...RULE, apply: { spend_source: refused } });
      const r = await lastSignal(other.api);
      expect(r.applied).toMatchObject({ status: "failed" });
      expect(String(r.applied.error)).not.toBe("");
    },
  );
});

describe("a platform outage", () => {
  it("is retried until the platform answers", { timeout: 30_000 }, async () => {
    const f = fakes.get("meta")!;
    f.campaigns.set(CAMPAIGN.meta, { budget: 100, status: "ACTIVE", currency: "USD" });
    const { id: wsId, api } = await createWorkspace(tally.url, ADMIN_TOKEN, "Outage apply");
    await spend(wsId, "meta");
    const src = await source(wsId, "meta");
    f.failNext(2, { kind: "answer", answer: { status: 503, body: { error: "down" } } });
    await api("POST", "/v1/rules", { ...RULE, apply: { spend_source: src } });
    await until(
      async () => {
        const [s] = ((await api("GET", "/v1/signals")).body as { data: { applied: { status: string } }[] })
          .data;
        return s?.applied.status === "applied";
      },
      "applied after the outage",
      20_000,
    );
    expect(f.campaigns.get(CAMPAIGN.meta)!.budget).toBe(80);
  });
});
