/**
 * The destination endpoints against the real server: validation naming the field, secrets
 * never echoed nor stored in clear, list/read/delete, the delivery log's exact shape, stats.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, createWorkspace, startInProcess } from "../helpers/server.js";
import { startFakeMeta } from "../fakes/fake-meta.js";
import type { FakeServer } from "../fakes/fake-server.js";
import { createDestination, purchase, sendEvents, settled } from "./helpers.js";
import { readOutOfProcess } from "../helpers/store-files.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
let meta: FakeServer;

const SECRET_TOKEN = "EAAB-very-secret-token-0123456789";

beforeAll(async () => {
  tally = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20" });
  meta = await startFakeMeta();
});
afterAll(async () => {
  await tally?.cleanup();
  await meta?.close();
});

describe("POST /v1/destinations validation", () => {
  it.each([
    [{ type: "meta", config: { pixel_id: "1" } }, "config.access_token"],
    [{ type: "meta", config: { access_token: "x" } }, "config.pixel_id"],
    [{ type: "meta", config: { pixel_id: "12ab", access_token: "x" } }, "config.pixel_id"],
    [
      { type: "meta", config: { pixel_id: "1", access_token: "x", acess_token: "typo" } },
      "config.acess_token",
    ],
    [
      { type: "google_ads", config: { customer_id: "1234567890", conversion_actions: { Purchase: "1" } } },
      "config.developer_token",
    ],
    [
      {
        type: "google_ads",
        config: { customer_id: "1234567890", developer_token: "d", conversion_actions: { Purchase: "1" } },
      },
      "config.access_token",
    ],
    [
      {
        type: "google_ads",
        config: {
          customer_id: "1234567890",
          developer_token: "d",
          client_id: "c",
          client_secret: "s",
          conversion_actions: { Purchase: "1" },
        },
      },
      "config.refresh_token",
    ],
    [
      {
        type: "google_ads",
        config: {
          customer_id: "123",
          developer_token: "d",
          access_token: "a",
          conversion_actions: { Purchase: "1" },
        },
      },
      "config.customer_id",
    ],
    [
      { type: "google_ads", config: { customer_id: "1234567890", developer_token: "d", access_token: "a" } },
      "config.conversion_actions",
    ],
    [
      {
        type: "google_ads",
        config: {
          customer_id: "1234567890",
          developer_token: "d",
          access_token: "a",
          conversion_actions: { Nope: "1" },
        },
      },
      "config.conversion_actions",
    ],
    [
      {
        type: "google_ads",
        events: ["Lead"],
        config: {
          customer_id: "1234567890",
          developer_token: "d",
          access_token: "a",
          conversion_actions: { Purchase: "1" },
        },
      },
      "config.conversion_actions",
    ],
    [
      { type: "linkedin", config: { conversions: { Purchase: "urn:lla:llaPartnerConversion:1" } } },
      "config.access_token",
    ],
    [
      { type: "linkedin", config: { access_token: "a", conversions: { Purchase: "123" } } },
      "config.conversions",
    ],
    [{ type: "tiktok", config: { access_token: "a" } }, "config.pixel_code"],
    [{ type: "tiktok", config: { pixel_code: "C1" } }, "config.access_token"],
    [{ type: "webhook", config: { url: "https://hooks.example/x" } }, "config.secret"],
    [{ type: "webhook", config: { secret: "0123456789abcdef" } }, "config.url"],
    [{ type: "webhook", config: { url: "ftp://x", secret: "0123456789abcdef" } }, "config.url"],
    [{ type: "meta", config: { pixel_id: "1", access_token: "x", max_attempts: 0 } }, "config.max_attempts"],
    [{ type: "meta", config: { pixel_id: "1", access_token: "x", endpoint: "nope" } }, "config.endpoint"],
    [{ type: "meta", events: ["PageView"], config: { pixel_id: "1", access_token: "x" } }, "events"],
    [{ type: "carrier_pigeon", config: {} }, "type"],
    [{ type: "meta" }, "config"],
  ])("%j → 422 naming %s", async (body, field) => {
    const ws = await createWorkspace(tally.url);
    const res = await ws.api("POST", "/v1/destinations", body);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "validation_failed", details: { field } });
    expect(typeof res.body.error.message).toBe("string");
  });

  it("needs the secret key", async () => {
    const ws = await createWorkspace(tally.url);
    expect((await client(tally.url)("GET", "/v1/destinations")).status).toBe(401);
    expect((await client(tally.url, ws.public_key)("GET", "/v1/destinations")).status).toBe(403);
  });
});

describe("destinations CRUD", () => {
  it("creates (201, secrets never echoed), lists, reads and deletes; secrets are sealed at rest", async () => {
    const ws = await createWorkspace(tally.url);
    const created = await ws.api("POST", "/v1/destinations", {
      type: "meta",
      name: "Meta pixel",
      events: ["Purchase", "Lead"],
      config: {
        pixel_id: "42",
        access_token: SECRET_TOKEN,
        app_secret: "app-secret-value",
        test_event_code: "T1",
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: "meta",
      name: "Meta pixel",
      events: ["Purchase", "Lead"],
      config: {
        pixel_id: "42",
        api_version: "v24.0",
        test_event_code: "T1",
        max_attempts: 20,
        retry_base_ms: 1000,
      },
    });
    expect(created.body.id).toMatch(/^dst_/);
    const id = created.body.id as string;
    const listed = await ws.api("GET", "/v1/destinations");
    const read = await ws.api("GET", `/v1/destinations/${id}`);
    for (const r of [created, listed, read]) {
      expect(JSON.stringify(r.body)).not.toContain(SECRET_TOKEN);
      expect(JSON.stringify(r.body)).not.toContain("app-secret-value");
    }
    expect(listed.body.data.map((d: { id: string }) => d.id)).toEqual([id]);
    expect(read.body).toEqual(created.body);

    // Nothing in the data folder holds the token in clear.
    const files = readdirSync(tally.dataDir);
    expect(files.some((f) => f.startsWith("tally.db"))).toBe(true);
    for (const f of files)
      expect(readOutOfProcess(join(tally.dataDir, f)).includes(SECRET_TOKEN), f).toBe(false);

    const other = await createWorkspace(tally.url);
    expect((await other.api("GET", `/v1/destinations/${id}`)).status).toBe(404);
    expect((await other.api("DELETE", `/v1/destinations/${id}`)).status).toBe(404);

    const del = await ws.api("DELETE", `/v1/destinations/${id}`);
    expect(del).toMatchObject({ status: 200, body: { id, deleted: true } });
    expect((await ws.api("GET", `/v1/destinations/${id}`)).status).toBe(404);
    expect((await ws.api("GET", "/v1/destinations")).body.data).toEqual([]);
    expect((await ws.api("DELETE", `/v1/destinations/${id}`)).status).toBe(404);
  });

  it("shows a webhook URL without its query", async () => {
    const ws = await createWorkspace(tally.url);
    const res = await ws.api("POST", "/v1/destinations", {
      type: "webhook",
      config: { url: "https://hooks.example/in?token=abc", secret: "0123456789abcdef" },
    });
    expect(res.status).toBe(201);
    expect(res.body.config.url).toBe("https://hooks.example/in?…");
    expect(JSON.stringify(res.body)).not.toContain("token=abc");
  });

  it("stops routing to a deleted destination", async () => {
    const ws = await createWorkspace(tally.url);
    const id = await createDestination(ws.api, {
      type: "meta",
      config: { pixel_id: "42", access_token: "t", endpoint: meta.url },
    });
    await ws.api("DELETE", `/v1/destinations/${id}`);
    const ev = purchase();
    await sendEvents(ws.api, [ev]);
    await new Promise((r) => setTimeout(r, 200));
    expect(meta.countOf(ev.event_id as string)).toBe(0);
  });
});

describe("deliveries and stats", () => {
  it("lists deliveries in the exact shape, filters by status, and reports figures", async () => {
    const ws = await createWorkspace(tally.url);
    const id = await createDestination(ws.api, {
      type: "meta",
      config: { pixel_id: "42", access_token: "t", endpoint: meta.url, retry_base_ms: 20 },
    });
    const good = purchase();
    const bad = purchase({ consent: { ad_user_data: "denied" } }); // a website event without consent: not sent to Meta
    const [r1] = await sendEvents(ws.api, [good, bad]);
    await settled(ws.api, id, 2);

    const all = await ws.api("GET", `/v1/destinations/${id}/deliveries`);
    expect(all.status).toBe(200);
    expect(Object.keys(all.body)).toEqual(["data"]);
    for (const d of all.body.data)
      expect(Object.keys(d).sort()).toEqual([
        "attempts",
        "delivered_at",
        "event_id",
        "id",
        "last_error",
        "last_status_code",
        "status",
      ]);
    const delivered = await ws.api("GET", `/v1/destinations/${id}/deliveries?status=delivered`);
    expect(delivered.body.data).toEqual([
      {
        id: r1!.id,
        event_id: good.event_id,
        status: "delivered",
        attempts: 1,
        last_status_code: 200,
        last_error: null,
        delivered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      },
    ]);
    expect(
      (await ws.api("GET", `/v1/destinations/${id}/deliveries?status=failed&limit=1`)).body.data,
    ).toHaveLength(1);
    expect((await ws.api("GET", `/v1/destinations/${id}/deliveries?status=nope`)).body.error).toMatchObject({
      code: "invalid_query",
      details: { field: "status" },
    });
    expect((await ws.api("GET", `/v1/destinations/${id}/deliveries?limit=0`)).status).toBe(400);
    expect((await ws.api("GET", "/v1/destinations/dst_00000000000000000000000000/deliveries")).status).toBe(
      404,
    );

    const stats = await ws.api("GET", "/v1/destinations/stats");
    expect(stats.status).toBe(200);
    expect(stats.body.data).toEqual([
      {
        id,
        name: "meta",
        type: "meta",
        sent: 1, // the refused one was never sent: nothing to send without consent
        delivered: 1,
        failed: 1,
        dead: 0,
        pending: 0,
        acceptance_rate: 0.5,
        latency_ms_p50: expect.any(Number),
        latency_ms_p95: expect.any(Number),
        match_quality_avg: expect.any(Number),
        last_error: expect.stringMatching(/no consent/),
      },
    ]);
    expect((await ws.api("POST", `/v1/destinations/${id}/replay`)).body).toEqual({ replayed: 0 });
  });
});
