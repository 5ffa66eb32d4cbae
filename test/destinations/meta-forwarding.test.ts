/**
 * Forwarding to Meta over real HTTP: the real server in-process, the fake Meta on loopback.
 * A Purchase arrives with Meta's hashes and the dedup id; outages are ridden out with every
 * event counted once; consent and test events follow API.md; duplicates go once.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  client,
  createWorkspace,
  nowSeconds,
  startInProcess,
  tempDataDir,
} from "../helpers/server.js";
import { META_RATE_LIMITED, startFakeMeta } from "../fakes/fake-meta.js";
import { until, type FakeServer } from "../fakes/fake-server.js";
import { createDestination, deliveries, purchase, sendEvents, settled } from "./helpers.js";

interface Vector {
  platform: string;
  field: string;
  raw: string;
  country_default?: string;
  sha256: string;
}
const VECTORS = JSON.parse(
  readFileSync(new URL("../fixtures/hash-vectors.json", import.meta.url), "utf8"),
) as Vector[];
const vector = (platform: string, field: string, raw: string) =>
  VECTORS.find((v) => v.platform === platform && v.field === field && v.raw === raw)!.sha256;

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
let meta: FakeServer;

beforeAll(async () => {
  tally = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20" });
  meta = await startFakeMeta({ accessToken: "EAAB-meta-token", pixelId: "1234567890" });
});
afterAll(async () => {
  await tally?.cleanup();
  await meta?.close();
});

async function metaWorkspace(config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Meta shop");
  await ws.api("PATCH", "/v1/workspace", { default_country: "US" });
  const id = await createDestination(ws.api, {
    type: "meta",
    name: "Meta",
    config: {
      pixel_id: "1234567890",
      access_token: "EAAB-meta-token",
      endpoint: meta.url,
      retry_base_ms: 20,
      ...config,
    },
    ...extra,
  });
  return { ws, id };
}

describe("Meta forwarding", () => {
  it("delivers a Purchase with Meta's hashes, the plain IP and the dedup id", async () => {
    const { ws, id } = await metaWorkspace();
    const ev = purchase();
    const [res] = await sendEvents(ws.api, [ev]);
    const [d] = await settled(ws.api, id, 1);
    expect(d).toMatchObject({
      id: res!.id,
      event_id: ev.event_id,
      status: "delivered",
      attempts: 1,
      last_status_code: 200,
      last_error: null,
    });
    expect(typeof d!.delivered_at).toBe("string");
    const got = meta.accepted.find((a) => a.id === ev.event_id)!;
    expect(got.event).toMatchObject({
      event_name: "Purchase",
      event_time: ev.event_time,
      action_source: "website",
      event_source_url: "https://shop.example/thanks",
      event_id: ev.event_id,
      user_data: {
        em: vector("meta", "em", "  John.Smith@Gmail.com "),
        ph: vector("meta", "ph", "(650)555-1212"),
        external_id: vector("meta", "external_id", " Cust-12345 "),
        client_ip_address: "203.0.113.9",
        client_user_agent: "Mozilla/5.0 (test)",
        fbp: "fb.1.1700000000000.123",
      },
      custom_data: { value: 99.99, currency: "USD" },
    });
    expect(got.request.body).not.toHaveProperty("test_event_code");
    expect(got.request.headers.authorization).toBe("Bearer EAAB-meta-token");
    expect(meta.problems).toEqual([]);
  });

  it("uses order_id, then Tally's id, as the dedup id when there is no event_id", async () => {
    const { ws, id } = await metaWorkspace();
    const byOrder = purchase({
      event_id: undefined,
      custom_data: { value: 5, currency: "EUR", order_id: `ord-${Date.now()}` },
    });
    const byTally = purchase({ event_id: undefined, custom_data: { value: 5, currency: "EUR" } });
    const [, r2] = await sendEvents(ws.api, [byOrder, byTally]);
    const ds = await settled(ws.api, id, 2);
    const orderId = (byOrder.custom_data as { order_id: string }).order_id;
    expect(ds.map((d) => d.event_id).sort()).toEqual([orderId, r2!.id].sort());
    expect(meta.countOf(orderId)).toBe(1);
    expect(meta.countOf(r2!.id)).toBe(1);
  });

  it("rides out an outage: every event is delivered exactly once", async () => {
    const { ws, id } = await metaWorkspace();
    meta.failNext(3, {
      kind: "answer",
      answer: { status: 500, body: { error: { message: "oops", code: 2, is_transient: true } } },
    });
    meta.failNext(1, { kind: "answer", answer: { status: 503, body: "down" } });
    meta.failNext(1, { kind: "reset" });
    meta.failNext(1, { ...META_RATE_LIMITED });
    const events = Array.from({ length: 25 }, () => purchase());
    await sendEvents(ws.api, events);
    const ds = await settled(ws.api, id, 25);
    expect(ds.every((d) => d.status === "delivered")).toBe(true);
    for (const e of events) expect(meta.countOf(e.event_id as string)).toBe(1);
    expect(Math.max(...ds.map((d) => d.attempts))).toBeGreaterThan(1);
  });

  it("honours Retry-After: the retry is not made sooner than asked", async () => {
    const { ws, id } = await metaWorkspace();
    meta.failNext(1, {
      kind: "answer",
      answer: {
        status: 429,
        headers: { "retry-after": "1" },
        body: { error: { message: "slow down", code: 4 } },
      },
    });
    const ev = purchase();
    await sendEvents(ws.api, [ev]);
    await settled(ws.api, id, 1);
    const sends = meta.requests.filter((r) => r.raw.includes(ev.event_id as string));
    expect(sends).toHaveLength(2);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it("marks a delivery dead after max_attempts and replays it", async () => {
    const { ws, id } = await metaWorkspace({ max_attempts: 3 });
    meta.down({ kind: "answer", answer: { status: 502, body: "bad gateway" } });
    const ev = purchase();
    try {
      await sendEvents(ws.api, [ev]);
      const [d] = await settled(ws.api, id, 1);
      expect(d).toMatchObject({ status: "dead", attempts: 3, last_status_code: 502 });
      expect(d!.last_error).toMatch(/502/);
    } finally {
      meta.up();
    }
    const replay = await ws.api("POST", `/v1/destinations/${id}/replay`);
    expect(replay).toMatchObject({ status: 200, body: { replayed: 1 } });
    const [again] = await settled(ws.api, id, 1);
    expect(again).toMatchObject({ status: "delivered", event_id: ev.event_id });
    expect(meta.countOf(ev.event_id as string)).toBe(1);
  });

  it("isolates a poison event: Meta refuses the whole request, only that event fails", async () => {
    const { ws, id } = await metaWorkspace();
    const events = Array.from({ length: 9 }, () => purchase());
    meta.poisoned.add(events[4]!.event_id as string);
    await sendEvents(ws.api, events);
    const ds = await settled(ws.api, id, 9);
    const failed = ds.filter((d) => d.status === "failed");
    expect(failed.map((d) => d.event_id)).toEqual([events[4]!.event_id]);
    expect(failed[0]!.last_error).toMatch(/Meta error 100/);
    for (const [i, e] of events.entries()) expect(meta.countOf(e.event_id as string)).toBe(i === 4 ? 0 : 1);
  });

  it("sends no user data without consent; a website event then cannot go at all", async () => {
    const { ws, id } = await metaWorkspace();
    const store = purchase({ action_source: "physical_store", consent: { ad_user_data: "denied" } });
    const web = purchase({ consent: { ad_user_data: "denied" } });
    await sendEvents(ws.api, [store, web]);
    const ds = await settled(ws.api, id, 2);
    const got = meta.accepted.find((a) => a.id === store.event_id)!;
    expect(got.event.user_data).toEqual({});
    expect(JSON.stringify(got.request.body)).not.toContain("203.0.113.9");
    const webDelivery = ds.find((d) => d.event_id === web.event_id)!;
    expect(webDelivery).toMatchObject({ status: "failed", attempts: 0 });
    expect(webDelivery.last_error).toMatch(/no consent/);
    expect(meta.countOf(web.event_id as string)).toBe(0);
  });

  it("follows the workspace consent_default when the event says nothing", async () => {
    const { ws, id } = await metaWorkspace();
    const noSignal = purchase({ consent: undefined, action_source: "system_generated" });
    await sendEvents(ws.api, [noSignal]);
    await settled(ws.api, id, 1);
    expect(meta.accepted.find((a) => a.id === noSignal.event_id)!.event.user_data).toEqual({});

    const patch = await ws.api("PATCH", "/v1/workspace", { consent_default: "granted" });
    expect(patch.status).toBe(200);
    // The forwarding caches the default for up to 2 s.
    await new Promise((r) => setTimeout(r, 2100));
    const later = purchase({ consent: undefined, action_source: "system_generated" });
    await sendEvents(ws.api, [later]);
    await settled(ws.api, id, 2);
    expect(meta.accepted.find((a) => a.id === later.event_id)!.event.user_data).toHaveProperty("em");
  });

  it("sends test events with the request's test_event_code, or the destination's", async () => {
    const { ws, id } = await metaWorkspace();
    const ev = purchase();
    await sendEvents(ws.api, [ev], "TEST42");
    await settled(ws.api, id, 1);
    expect(meta.accepted.find((a) => a.id === ev.event_id)!.request.body).toMatchObject({
      test_event_code: "TEST42",
    });

    const own = await metaWorkspace({ test_event_code: "DEST77" });
    const ev2 = purchase();
    await sendEvents(own.ws.api, [ev2], "TEST42");
    await settled(own.ws.api, own.id, 1);
    expect(meta.accepted.find((a) => a.id === ev2.event_id)!.request.body).toMatchObject({
      test_event_code: "DEST77",
    });
    // A real event of the same destination carries no test code.
    const real = purchase();
    await sendEvents(own.ws.api, [real]);
    await settled(own.ws.api, own.id, 2);
    expect(meta.accepted.find((a) => a.id === real.event_id)!.request.body).not.toHaveProperty(
      "test_event_code",
    );
  });

  it("forwards a duplicate once", async () => {
    const { ws, id } = await metaWorkspace();
    const ev = purchase();
    const [a] = await sendEvents(ws.api, [ev]);
    const [b] = await sendEvents(ws.api, [{ ...ev }]);
    expect(b).toMatchObject({ status: "duplicate", id: a!.id });
    await settled(ws.api, id, 1);
    // Give a second delivery, if there wrongly were one, the time to go out.
    await new Promise((r) => setTimeout(r, 300));
    expect(await deliveries(ws.api, id)).toHaveLength(1);
    expect(meta.countOf(ev.event_id as string)).toBe(1);
  });

  it("only sends the events the destination lists", async () => {
    const { ws, id } = await metaWorkspace({}, { events: ["Lead"] });
    const lead = purchase({ event_name: "Lead" });
    await sendEvents(ws.api, [purchase(), lead]);
    const ds = await settled(ws.api, id, 1);
    expect(ds.map((d) => d.event_id)).toEqual([lead.event_id]);
    await until(() => meta.countOf(lead.event_id as string) === 1, "the Lead at Meta");
  });

  it("maps event names with event_map", async () => {
    const { ws, id } = await metaWorkspace({ event_map: { StartTrial: "StartTrialServer" } });
    const ev = purchase({ event_name: "StartTrial", custom_data: {} });
    await sendEvents(ws.api, [ev]);
    await settled(ws.api, id, 1);
    expect(meta.accepted.find((a) => a.id === ev.event_id)!.event.event_name).toBe("StartTrialServer");
  });

  it("a graceful stop aborts a hanging request; the event goes after the restart, the aborted attempt not counted", async () => {
    const dir = tempDataDir();
    const first = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20", TALLY_DATA_DIR: dir });
    const ws = await createWorkspace(first.url, ADMIN_TOKEN, "Stop");
    const id = await createDestination(ws.api, {
      type: "meta",
      config: {
        pixel_id: "1234567890",
        access_token: "EAAB-meta-token",
        endpoint: meta.url,
        retry_base_ms: 20,
        timeout_ms: 60_000,
      },
    });
    meta.failNext(1, { kind: "hang" });
    const ev = purchase();
    await sendEvents(ws.api, [ev]);
    await until(() => meta.hanging > 0, "the request hanging at Meta");
    await first.stop(); // gives the request 2 s, then aborts it
    const second = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20", TALLY_DATA_DIR: dir });
    try {
      const api = client(second.url, ws.secret_key);
      const [d] = await settled(api, id, 1);
      expect(d).toMatchObject({ status: "delivered", attempts: 1, event_id: ev.event_id });
      expect(meta.countOf(ev.event_id as string)).toBe(1);
    } finally {
      await second.cleanup();
      meta.releaseHangs();
    }
  });

  it("skips an event older than Meta accepts and delivers the rest of its batch", async () => {
    // This server keeps events for 30 days, so an 8-day-old one reaches the outbox.
    const old = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20", TALLY_MAX_EVENT_AGE_DAYS: "30" });
    try {
      const ws = await createWorkspace(old.url, ADMIN_TOKEN, "Old events");
      const id = await createDestination(ws.api, {
        type: "meta",
        config: {
          pixel_id: "1234567890",
          access_token: "EAAB-meta-token",
          endpoint: meta.url,
          retry_base_ms: 20,
        },
      });
      const stale = purchase({ event_time: nowSeconds() - 8 * 86_400 });
      const fresh = purchase();
      await sendEvents(ws.api, [stale, fresh]);
      const ds = await settled(ws.api, id, 2);
      expect(ds.find((d) => d.event_id === stale.event_id)).toMatchObject({
        status: "failed",
        last_error: "event older than 7 days: Meta refuses it",
      });
      expect(ds.find((d) => d.event_id === fresh.event_id)).toMatchObject({ status: "delivered" });
      expect(meta.countOf(stale.event_id as string)).toBe(0);
      expect(meta.countOf(fresh.event_id as string)).toBe(1);
      expect(meta.problems).toEqual([]);
    } finally {
      await old.cleanup();
    }
  });
});
