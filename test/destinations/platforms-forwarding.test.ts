/**
 * Forwarding to Google Ads, LinkedIn, TikTok and signed webhooks over real HTTP, each
 * against its local fake: payload facts, per-row failures (Google partial failure, LinkedIn
 * per-element status), consent, test events, signatures.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, startInProcess } from "../helpers/server.js";
import { googleRateLimited, startFakeGoogle } from "../fakes/fake-google.js";
import { startFakeLinkedIn } from "../fakes/fake-linkedin.js";
import type { FakeServer } from "../fakes/fake-server.js";
import { TIKTOK_RATE_LIMITED, startFakeTikTok } from "../fakes/fake-tiktok.js";
import { startFakeWebhook, verifySignature } from "../fakes/fake-webhook.js";
import { createDestination, deliveries, purchase, sendEvents, settled } from "./helpers.js";

interface Vector {
  platform: string;
  field: string;
  raw: string;
  sha256: string;
}
const VECTORS = JSON.parse(
  readFileSync(new URL("../fixtures/hash-vectors.json", import.meta.url), "utf8"),
) as Vector[];
const vector = (platform: string, field: string, raw: string) =>
  VECTORS.find((v) => v.platform === platform && v.field === field && v.raw === raw)!.sha256;

const ACTION = "customers/1234567890/conversionActions/555";
const WEBHOOK_SECRET = "whsec_0123456789abcdef0123";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
let google: FakeServer;
let linkedin: FakeServer;
let tiktok: FakeServer;
let webhook: FakeServer;

beforeAll(async () => {
  tally = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20" });
  google = await startFakeGoogle({
    developerToken: "dev-token",
    accessTokens: ["ya29.static"],
    refreshToken: "1//refresh",
  });
  linkedin = await startFakeLinkedIn({ accessToken: "li-token" });
  tiktok = await startFakeTikTok({ accessToken: "tt-token", pixelCode: "CPIXEL123" });
  webhook = await startFakeWebhook(WEBHOOK_SECRET);
});
afterAll(async () => {
  await tally?.cleanup();
  await Promise.all([google, linkedin, tiktok, webhook].map((f) => f?.close()));
});

async function workspace() {
  const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Shop");
  await ws.api("PATCH", "/v1/workspace", { default_country: "US" });
  return ws;
}

const googleConfig = (extra: Record<string, unknown> = {}) => ({
  customer_id: "123-456-7890",
  developer_token: "dev-token",
  access_token: "ya29.static",
  conversion_actions: { Purchase: ACTION, Lead: "556" },
  endpoint: google.url,
  retry_base_ms: 20,
  ...extra,
});

describe("Google Ads", () => {
  it("uploads click conversions with Google's hashes, date format and consent", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "google_ads", config: googleConfig() });
    const ev = purchase();
    await sendEvents(ws.api, [ev]);
    const [d] = await settled(ws.api, id, 1);
    expect(d).toMatchObject({ status: "delivered", event_id: ev.event_id });
    const got = google.accepted.find((a) => a.id === ev.event_id)!;
    const when = new Date((ev.event_time as number) * 1000).toISOString();
    expect(got.event).toEqual({
      conversionAction: ACTION,
      conversionDateTime: `${when.slice(0, 10)} ${when.slice(11, 19)}+00:00`,
      gclid: "Cj0KCQ-test-gclid",
      conversionValue: 99.99,
      currencyCode: "USD",
      orderId: ev.event_id,
      userIdentifiers: [
        {
          hashedEmail: vector("google", "hashed_email", "  John.Smith@Gmail.com "),
          userIdentifierSource: "FIRST_PARTY",
        },
        {
          hashedPhoneNumber: vector("google", "hashed_phone_number", "(650)555-1212"),
          userIdentifierSource: "FIRST_PARTY",
        },
      ],
      consent: { adUserData: "GRANTED" },
    });
    expect(got.request.headers["developer-token"]).toBe("dev-token");
    expect(got.request.body).toMatchObject({ partialFailure: true });
    expect(google.problems).toEqual([]);
  });

  it("fails only the poison row of a partial failure; the rest is delivered", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "google_ads", config: googleConfig() });
    const events = Array.from({ length: 5 }, () => purchase());
    google.poisoned.add(events[2]!.event_id as string);
    await sendEvents(ws.api, events);
    const ds = await settled(ws.api, id, 5);
    for (const [i, e] of events.entries()) {
      const d = ds.find((x) => x.event_id === e.event_id)!;
      expect(d.status).toBe(i === 2 ? "failed" : "delivered");
      expect(google.countOf(e.event_id as string)).toBe(i === 2 ? 0 : 1);
    }
    expect(ds.find((x) => x.event_id === events[2]!.event_id)!.last_error).toMatch(/UNPARSEABLE_GCLID/);
    // One request carried all five.
    expect(google.requests.filter((r) => r.raw.includes(events[0]!.event_id as string))).toHaveLength(1);
  });

  it("without consent sends only events with a click id, as DENIED and without identifiers", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "google_ads", config: googleConfig() });
    const withClick = purchase({ consent: { ad_user_data: "denied" } });
    const noClick = purchase({ consent: { ad_user_data: "denied" }, user_data: { email: "a@b.example" } });
    await sendEvents(ws.api, [withClick, noClick]);
    const ds = await settled(ws.api, id, 2);
    const got = google.accepted.find((a) => a.id === withClick.event_id)!.event;
    expect(got).toMatchObject({ gclid: "Cj0KCQ-test-gclid", consent: { adUserData: "DENIED" } });
    expect(got).not.toHaveProperty("userIdentifiers");
    expect(ds.find((d) => d.event_id === noClick.event_id)).toMatchObject({ status: "failed" });
    expect(google.countOf(noClick.event_id as string)).toBe(0);
  });

  it("sends test events with validateOnly and retries after a quota error no sooner than retryDelay", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "google_ads", config: googleConfig() });
    google.failNext(1, googleRateLimited("1s"));
    const ev = purchase();
    await sendEvents(ws.api, [ev], "TEST42");
    const [d] = await settled(ws.api, id, 1);
    expect(d).toMatchObject({ status: "delivered", attempts: 2 });
    const sends = google.requests.filter((r) => r.raw.includes(ev.event_id as string));
    expect(sends.map((s) => (s.body as { validateOnly?: boolean }).validateOnly)).toEqual([true, true]);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(google.countOf(ev.event_id as string)).toBe(0); // validated, not recorded
  });

  it("gets an access token with the refresh token", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, {
      type: "google_ads",
      config: googleConfig({
        access_token: undefined,
        client_id: "cid.apps.googleusercontent.com",
        client_secret: "csecret",
        refresh_token: "1//refresh",
      }),
    });
    const ev = purchase();
    await sendEvents(ws.api, [ev]);
    await settled(ws.api, id, 1);
    const got = google.accepted.find((a) => a.id === ev.event_id)!;
    expect(got.request.headers.authorization).toMatch(/^Bearer ya29\.fake-\d+$/);
    expect(google.requests.some((r) => r.path === "/token")).toBe(true);
  });
});

describe("LinkedIn", () => {
  const config = () => ({
    access_token: "li-token",
    conversions: { Purchase: "urn:lla:llaPartnerConversion:123" },
    endpoint: linkedin.url,
    retry_base_ms: 20,
  });

  it("sends a batch with epoch ms, a string amount and hashed email; per-element failures stay alone", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "linkedin", config: config() });
    const events = Array.from({ length: 4 }, () => purchase());
    linkedin.poisoned.add(events[1]!.event_id as string);
    await sendEvents(ws.api, events);
    const ds = await settled(ws.api, id, 4);
    expect(ds.filter((d) => d.status === "failed").map((d) => d.event_id)).toEqual([events[1]!.event_id]);
    expect(ds.find((d) => d.event_id === events[1]!.event_id)).toMatchObject({ last_status_code: 400 });
    const got = linkedin.accepted.find((a) => a.id === events[0]!.event_id)!;
    expect(got.event).toEqual({
      conversion: "urn:lla:llaPartnerConversion:123",
      conversionHappenedAt: (events[0]!.event_time as number) * 1000,
      conversionValue: { currencyCode: "USD", amount: "99.99" },
      eventId: events[0]!.event_id,
      user: {
        userIds: [
          { idType: "SHA256_EMAIL", idValue: vector("linkedin", "SHA256_EMAIL", "  John.Smith@Gmail.com ") },
          { idType: "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", idValue: "li-fat-1" },
        ],
        externalIds: [" Cust-12345 "],
      },
    });
    expect(got.request.headers["x-restli-method"]).toBe("BATCH_CREATE");
    expect(linkedin.problems).toEqual([]);
  });

  it("does not send without consent, and never gets test events", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "linkedin", config: config() });
    const denied = purchase({ consent: { ad_user_data: "denied" } });
    await sendEvents(ws.api, [denied]);
    await sendEvents(ws.api, [purchase()], "TEST42");
    const ds = await settled(ws.api, id, 1);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ event_id: denied.event_id, status: "failed", attempts: 0 });
    expect(ds[0]!.last_error).toMatch(/no consent/);
    expect(linkedin.countOf(denied.event_id as string)).toBe(0);
  });
});

describe("TikTok", () => {
  const config = (extra: Record<string, unknown> = {}) => ({
    pixel_code: "CPIXEL123",
    access_token: "tt-token",
    endpoint: tiktok.url,
    retry_base_ms: 20,
    ...extra,
  });

  it("maps Purchase to CompletePayment, hashes for TikTok, retries a 40100 in a 200", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, {
      type: "tiktok",
      config: config({ event_map: { Lead: "SubmitForm" } }),
    });
    tiktok.failNext(1, TIKTOK_RATE_LIMITED);
    const ev = purchase();
    const lead = purchase({ event_name: "Lead" });
    await sendEvents(ws.api, [ev, lead]);
    const ds = await settled(ws.api, id, 2);
    expect(ds.every((d) => d.status === "delivered" && d.attempts === 2)).toBe(true);
    const got = tiktok.accepted.find((a) => a.id === ev.event_id)!;
    expect(got.event).toEqual({
      event: "CompletePayment",
      event_time: ev.event_time,
      event_id: ev.event_id,
      user: {
        email: vector("tiktok", "email", "  John.Smith@Gmail.com "),
        phone: vector("tiktok", "phone", "(650)555-1212"),
        external_id: vector("tiktok", "external_id", " Cust-12345 "),
        ttclid: "tt-click-1",
        ip: "203.0.113.9",
        user_agent: "Mozilla/5.0 (test)",
      },
      page: { url: "https://shop.example/thanks" },
      properties: {
        value: 99.99,
        currency: "USD",
        order_id: (ev.custom_data as { order_id: string }).order_id,
      },
    });
    expect(tiktok.accepted.find((a) => a.id === lead.event_id)!.event.event).toBe("SubmitForm");
    expect(got.request.headers["access-token"]).toBe("tt-token");
    expect(got.request.body).toMatchObject({ event_source: "web", event_source_id: "CPIXEL123" });
    expect(tiktok.problems).toEqual([]);
  });

  it("sends test events with test_event_code and consent-denied events without user", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, { type: "tiktok", config: config() });
    const test = purchase();
    const denied = purchase({ consent: { ad_user_data: "denied" } });
    await sendEvents(ws.api, [test], "TT_TEST");
    await sendEvents(ws.api, [denied]);
    await settled(ws.api, id, 2);
    expect(tiktok.accepted.find((a) => a.id === test.event_id)!.request.body).toMatchObject({
      test_event_code: "TT_TEST",
    });
    const got = tiktok.accepted.find((a) => a.id === denied.event_id)!;
    expect(got.event).not.toHaveProperty("user");
    expect(got.request.body).not.toHaveProperty("test_event_code");
  });
});

describe("webhooks", () => {
  it("POSTs each event signed; test events never; a 4xx fails, a 5xx retries", async () => {
    const ws = await workspace();
    const id = await createDestination(ws.api, {
      type: "webhook",
      config: { url: `${webhook.url}/hooks/tally?x=1`, secret: WEBHOOK_SECRET, retry_base_ms: 20 },
    });
    const ok = purchase();
    const refused = purchase();
    webhook.poisoned.add(refused.event_id as string);
    webhook.failNext(1, { kind: "answer", answer: { status: 500 } });
    await sendEvents(ws.api, [ok, refused]);
    await sendEvents(ws.api, [purchase()], "TEST42");
    const ds = await settled(ws.api, id, 2);
    expect(ds).toHaveLength(2);
    expect(ds.find((d) => d.event_id === ok.event_id)).toMatchObject({
      status: "delivered",
      last_status_code: 204,
    });
    expect(ds.find((d) => d.event_id === refused.event_id)).toMatchObject({
      status: "failed",
      last_status_code: 400,
    });
    const got = webhook.accepted.find((a) => a.id === ok.event_id)!;
    expect(got.request.path).toBe("/hooks/tally");
    expect(
      verifySignature(
        WEBHOOK_SECRET,
        got.request.headers["tally-signature"],
        got.request.raw,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    expect(got.event).toMatchObject({
      event_id: ok.event_id,
      event_name: "Purchase",
      value: 99.99,
      currency: "USD",
      user_data: {
        em: vector("meta", "em", "  John.Smith@Gmail.com "),
        client_ip_address: "203.0.113.9",
        external_id: " Cust-12345 ",
      },
      consent: { ad_user_data: "granted" },
    });
    expect(webhook.problems).toEqual([]);
  });
});

describe("isolation", () => {
  it("a hanging destination does not hold up another one's deliveries", async () => {
    const ws = await workspace();
    const hanging = await createDestination(ws.api, {
      type: "tiktok",
      config: config2("tt-token", tiktok.url),
    });
    const healthy = await createDestination(ws.api, {
      type: "webhook",
      config: { url: webhook.url, secret: WEBHOOK_SECRET },
    });
    tiktok.down({ kind: "hang" });
    try {
      const events = Array.from({ length: 5 }, () => purchase());
      await sendEvents(ws.api, events);
      await settled(ws.api, healthy, 5);
      expect(events.every((e) => webhook.countOf(e.event_id as string) === 1)).toBe(true);
      // The other destination is still stuck on its first request.
      expect(tiktok.hanging).toBeGreaterThan(0);
      expect((await deliveries(ws.api, hanging)).every((d) => d.status === "pending")).toBe(true);
    } finally {
      tiktok.up();
      tiktok.releaseHangs();
    }
    await settled(ws.api, hanging, 5);
  });
});

function config2(token: string, endpoint: string) {
  return { pixel_code: "CPIXEL123", access_token: token, endpoint, retry_base_ms: 20, timeout_ms: 30_000 };
}
