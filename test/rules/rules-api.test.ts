/**
 * Rules and signals against the real server (in process, loopback): the endpoints' validation
 * naming the field, CRUD and tenancy, and a conversion that crosses a rule's line raising one
 * signal — stored, on the live feed, and signed to a webhook with `signals: true`, through
 * the durable outbox (a webhook outage loses nothing) — then the cooldown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until, type FakeServer } from "../fakes/fake-server.js";
import { startFakeWebhook } from "../fakes/fake-webhook.js";
import { connectLive, type LiveClient } from "../realtime/live-client.js";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { createDestination, deliveries, sendEvents, type Api } from "../destinations/helpers.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
let hook: FakeServer;
const SECRET = "whsec_rules_0123456789";
const open: LiveClient[] = [];

beforeAll(async () => {
  tally = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20" });
  hook = await startFakeWebhook(SECRET);
});
afterAll(async () => {
  for (const c of open) c.close();
  await tally?.cleanup();
  await hook?.close();
});

const RULE = {
  name: "Two sales",
  metric: "conversions",
  op: ">=",
  threshold: 2,
  window_hours: 24,
  group_by: "campaign",
  signal: "increase_budget",
};

let seq = 0;
/** A click on (platform, campaign) and `n` purchases of the same person. */
async function convert(api: Api, platform: string, campaign: string, n: number, value = 30): Promise<void> {
  const gclid = `gclid-${Date.now()}-${++seq}`;
  const c = await api("POST", "/v1/clicks", {
    data: [{ time: nowSeconds() - 60, platform, campaign, click_id: gclid }],
  });
  expect(c.status).toBe(200);
  const events = Array.from({ length: n }, (_, i) => ({
    event_name: "Purchase",
    event_time: nowSeconds() - 5,
    event_id: `r-${gclid}-${i}`,
    user_data: { click_id: gclid },
    custom_data: { value, currency: "USD" },
  }));
  const results = await sendEvents(api, events);
  expect(results.every((r) => r.status === "accepted")).toBe(true);
}

describe("POST /v1/rules: nonsense is 422 naming the field", () => {
  it.each([
    [{ metric: "ctr" }, "metric"],
    [{ op: "==" }, "op"],
    [{ threshold: "forty" }, "threshold"],
    [{ window_hours: 0 }, "window_hours"],
    [{ window_hours: -3 }, "window_hours"],
    [{ group_by: "country" }, "group_by"],
    [{ model: "u_shaped" }, "model"],
    [{ signal: "double_it" }, "signal"],
    [{ min_spend: -1 }, "min_spend"],
    [{ cooldown_minutes: -5 }, "cooldown_minutes"],
    [{ name: "" }, "name"],
    [{ colour: "red" }, "colour"],
    [{ signal: "notify", apply: { spend_source: "src_x" } }, "apply"],
    [{ apply: { spend_source: "src_x", change_pct: 0 } }, "apply.change_pct"],
    [{ apply: { spend_source: "src_nope" } }, "apply.spend_source"],
  ])("%j → %s", async (over, field) => {
    const { api } = await createWorkspace(tally.url, ADMIN_TOKEN, "Validation");
    const res = await api("POST", "/v1/rules", { ...RULE, ...over });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: { code: "validation_failed", details: { field } } });
  });

  it("a missing required field is named", async () => {
    const { api } = await createWorkspace(tally.url, ADMIN_TOKEN, "Missing");
    const { window_hours: _omit, ...rest } = RULE;
    const res = await api("POST", "/v1/rules", rest);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: { details: { field: "window_hours" } } });
  });
});

describe("rules CRUD", () => {
  it("creates with defaults, reads, lists, patches, deletes; another workspace sees none of it", async () => {
    const a = await createWorkspace(tally.url, ADMIN_TOKEN, "A");
    const b = await createWorkspace(tally.url, ADMIN_TOKEN, "B");
    const created = await a.api("POST", "/v1/rules", RULE);
    expect(created.status).toBe(201);
    const rule = created.body as Record<string, unknown> & { id: string };
    expect(rule).toMatchObject({
      ...RULE,
      model: "last_click",
      min_spend: 0,
      min_conversions: 0,
      cooldown_minutes: 60,
      enabled: true,
      apply: null,
    });
    expect(rule.id).toMatch(/^rul_[0-9a-z]{26}$/);
    expect((await a.api("GET", `/v1/rules/${rule.id}`)).body).toMatchObject({ id: rule.id });
    expect(((await a.api("GET", "/v1/rules")).body as { data: unknown[] }).data).toHaveLength(1);
    expect((await b.api("GET", `/v1/rules/${rule.id}`)).status).toBe(404);
    expect(((await b.api("GET", "/v1/rules")).body as { data: unknown[] }).data).toHaveLength(0);
    expect((await b.api("DELETE", `/v1/rules/${rule.id}`)).status).toBe(404);

    const patched = await a.api("PATCH", `/v1/rules/${rule.id}`, { threshold: 5, enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ threshold: 5, enabled: false, metric: "conversions" });
    const bad = await a.api("PATCH", `/v1/rules/${rule.id}`, { window_hours: 0 });
    expect(bad.body).toMatchObject({ error: { details: { field: "window_hours" } } });

    expect((await a.api("DELETE", `/v1/rules/${rule.id}`)).body).toEqual({ id: rule.id, deleted: true });
    expect((await a.api("GET", `/v1/rules/${rule.id}`)).status).toBe(404);
  });
});

describe("a conversion that crosses the line raises one signal", () => {
  it("stored, on the live feed, signed to the webhook; then the cooldown holds", async () => {
    const { id: wsId, api, secret_key } = await createWorkspace(tally.url, ADMIN_TOKEN, "Signals");
    const dest = await createDestination(api, {
      type: "webhook",
      name: "signals",
      config: { url: hook.url, secret: SECRET, signals: true },
    });
    const live = await connectLive(`${tally.url.replace(/^http/, "ws")}/v1/live?token=${secret_key}`);
    open.push(live);
    const rule = (await api("POST", "/v1/rules", RULE)).body as { id: string };

    await convert(api, "google", "Brand", 1);
    await convert(api, "google", "Other", 1);
    await convert(api, "google", "Brand", 1);

    const msg = await live.waitFor((m) => m.type === "signal", "a signal on the live feed", 5000);
    expect(msg.data).toMatchObject({
      workspace_id: wsId,
      rule_id: rule.id,
      rule: "Two sales",
      key: "Brand",
      platform: "google",
      metric: "conversions",
      value: 2,
      threshold: 2,
      signal: "increase_budget",
    });
    const signalId = (msg.data as { id: string }).id;

    const list = (await api("GET", "/v1/signals")).body as { data: { id: string; at: string }[] };
    expect(list.data.map((s) => s.id)).toEqual([signalId]);
    expect(list.data[0]!.at).toMatch(/Z$/);

    await until(() => hook.countOf(signalId) === 1, "the webhook got the signal");
    const got = hook.accepted.find((a) => a.id === signalId)!;
    expect(got.event).toMatchObject({ type: "tally.signal", data: { id: signalId, key: "Brand" } });
    expect(hook.problems).toEqual([]);
    await until(
      async () => (await deliveries(api, dest)).some((d) => d.id === signalId && d.status === "delivered"),
      "the delivery log lists the signal",
    );

    // Still true, but within the cooldown: nothing more.
    await convert(api, "google", "Brand", 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(((await api("GET", "/v1/signals")).body as { data: unknown[] }).data).toHaveLength(1);

    const state = (await api("GET", `/v1/rules/${rule.id}`)).body as {
      state: {
        last_fired_at: string;
        keys: { key: string; holds: boolean; value: number; cooldown_until: string }[];
      };
    };
    expect(state.state.last_fired_at).not.toBeNull();
    expect(state.state.keys[0]).toMatchObject({ key: "Brand", holds: true, value: 3 });
    expect(state.state.keys[0]!.cooldown_until).not.toBeNull();
  });

  it("a webhook outage loses no signal: it is delivered once the webhook is back", async () => {
    const { api } = await createWorkspace(tally.url, ADMIN_TOKEN, "Outage");
    await createDestination(api, {
      type: "webhook",
      name: "signals",
      config: { url: hook.url, secret: SECRET, signals: true, retry_base_ms: 50 },
    });
    await api("POST", "/v1/rules", { ...RULE, threshold: 1, cooldown_minutes: 0 });
    hook.down();
    try {
      await convert(api, "meta", "Down", 1);
      await until(
        async () => ((await api("GET", "/v1/signals")).body as { data: unknown[] }).data.length === 1,
        "stored",
      );
      const [s] = ((await api("GET", "/v1/signals")).body as { data: { id: string }[] }).data;
      await new Promise((r) => setTimeout(r, 300));
      expect(hook.countOf(s!.id)).toBe(0);
      hook.up();
      await until(() => hook.countOf(s!.id) === 1, "delivered after the outage", 10_000);
    } finally {
      hook.up();
    }
  });

  it("CPA with spend and no conversions is infinite: `cpa >` fires once min_spend is reached, value null", async () => {
    const { id: wsId, api } = await createWorkspace(tally.url, ADMIN_TOKEN, "Burn");
    const today = new Date().toISOString().slice(0, 10);
    await tally.deps.store.spend.upsert(
      [
        {
          workspaceId: wsId,
          date: today,
          platform: "meta",
          account: "",
          campaign: "Burner",
          campaignId: null,
          ad: null,
          adId: null,
          spend: 80,
          currency: "USD",
          impressions: 1000,
          clicks: 20,
          sourceId: null,
        },
      ],
      Date.now(),
    );
    const roas = (await api("POST", "/v1/rules", { ...RULE, metric: "roas", op: "<", threshold: 1 }))
      .body as {
      id: string;
    };
    await api("POST", "/v1/rules", { ...RULE, metric: "cpa", op: ">", threshold: 40, min_spend: 100 });
    await api("POST", "/v1/rules", {
      ...RULE,
      name: "Burning",
      metric: "cpa",
      op: ">",
      threshold: 40,
      min_spend: 50,
      signal: "pause",
    });
    const signals = ((await api("GET", "/v1/signals")).body as { data: Record<string, unknown>[] }).data;
    // The ROAS rule fired too: 0 value over 80 spend is a ROAS of 0.
    expect(signals.map((s) => [s.rule, s.metric, s.value])).toEqual(
      expect.arrayContaining([
        ["Burning", "cpa", null],
        ["Two sales", "roas", 0],
      ]),
    );
    expect(signals).toHaveLength(2);
    expect(signals.find((s) => s.rule_id === roas.id)).toMatchObject({ key: "Burner", platform: "meta" });
  });

  it("a ROAS rule never fires without spend", async () => {
    const { api } = await createWorkspace(tally.url, ADMIN_TOKEN, "NoSpend");
    await api("POST", "/v1/rules", { ...RULE, metric: "roas", op: "<", threshold: 100 });
    await convert(api, "google", "Free", 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(((await api("GET", "/v1/signals")).body as { data: unknown[] }).data).toEqual([]);
  });
});
