/**
 * Adjustments through the outbox over real HTTP, each platform against its local fake: Google
 * Ads gets RETRACTION / RESTATEMENT conversion adjustments by the order id it was uploaded
 * with, a webhook a signed `conversion.adjusted`, Meta (no adjustment API) a `skipped` delivery
 * with the reason; only destinations that received the conversion; the live feed gets
 * `{"type": "adjustment"}`; adjusting again sends nothing more.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { startFakeGoogle } from "../fakes/fake-google.js";
import type { AdjustmentBook } from "../fakes/fake-google-adjustments.js";
import { startFakeMeta } from "../fakes/fake-meta.js";
import { until, type FakeServer } from "../fakes/fake-server.js";
import { startFakeWebhook, verifySignature } from "../fakes/fake-webhook.js";
import { connectLive, type LiveClient } from "../realtime/live-client.js";
import { createDestination, deliveries, purchase, sendEvents, settled } from "../destinations/helpers.js";

const ACTION = "customers/1234567890/conversionActions/555";
const SECRET = "whsec_0123456789abcdef0123";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
let google: FakeServer;
let meta: FakeServer;
let webhook: FakeServer;
let live: LiveClient | null = null;
const book: AdjustmentBook = { state: new Map(), accepted: [] };

beforeAll(async () => {
  tally = await startInProcess({ TALLY_OUTBOX_POLL_MS: "20" });
  google = await startFakeGoogle({
    developerToken: "dev-token",
    accessTokens: ["ya29.static"],
    adjustments: book,
  });
  meta = await startFakeMeta({ accessToken: "EAAB-meta-token", pixelId: "1234567890" });
  webhook = await startFakeWebhook(SECRET);
});
afterAll(async () => {
  live?.close();
  await tally?.cleanup();
  await Promise.all([google, meta, webhook].map((f) => f?.close()));
});

it("sends each platform the adjustment it supports, once", async () => {
  const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Shop");
  const common = { retry_base_ms: 20 };
  const g = await createDestination(ws.api, {
    type: "google_ads",
    config: {
      customer_id: "123-456-7890",
      developer_token: "dev-token",
      access_token: "ya29.static",
      conversion_actions: { Purchase: ACTION },
      endpoint: google.url,
      ...common,
    },
  });
  const m = await createDestination(ws.api, {
    type: "meta",
    config: { pixel_id: "1234567890", access_token: "EAAB-meta-token", endpoint: meta.url, ...common },
  });
  const w = await createDestination(ws.api, {
    type: "webhook",
    config: { url: webhook.url, secret: SECRET, ...common },
  });

  const p1 = purchase({ custom_data: { value: 100, currency: "USD", order_id: "R-1" } });
  const p2 = purchase({ custom_data: { value: 80, currency: "USD", order_id: "R-2" } });
  const [c1, c2] = await sendEvents(ws.api, [p1, p2]);
  for (const d of [g, m, w])
    expect((await settled(ws.api, d, 2)).map((x) => x.status)).toEqual(["delivered", "delivered"]);

  live = await connectLive(`${tally.url.replace(/^http/, "ws")}/v1/live?token=${ws.secret_key}`);
  const t = nowSeconds();
  const orders = [
    { order_id: "R-1", time: t - 30, value: 100, status: "refunded" },
    { order_id: "R-2", time: t - 30, value: 64.5, currency: "USD", status: "completed" },
  ];
  const crm = await ws.api("POST", "/v1/crm/orders", { data: orders });
  expect(crm.body.accepted).toBe(2);
  const msg = await live.waitFor(
    (x) => x.type === "adjustment" && x.data.conversion_id === c1!.id,
    "adjustment on the live feed",
  );
  expect(msg.data).toMatchObject({ type: "retract", order_id: "R-1", previous_value: 100, value: 0 });
  expect(JSON.stringify(msg.data)).not.toMatch(/gclid|email|Cj0KCQ/);

  // Google: a retraction and a restatement, named by the order id the conversion was uploaded with.
  await until(() => book.accepted.length >= 2, "two adjustments at Google");
  expect(google.problems).toEqual([]);
  expect(book.accepted).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        adjustmentType: "RETRACTION",
        orderId: p1.event_id,
        conversionAction: ACTION,
      }),
      expect.objectContaining({
        adjustmentType: "RESTATEMENT",
        orderId: p2.event_id,
        restatementValue: { adjustedValue: 64.5, currencyCode: "USD" },
      }),
    ]),
  );
  expect(
    book.accepted.every((a) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/.test(String(a.adjustmentDateTime))),
  ).toBe(true);

  // Webhook: signed conversion.adjusted, Idempotency-Key the adjustment id.
  await until(
    () => webhook.accepted.filter((a) => a.event.type === "conversion.adjusted").length >= 2,
    "webhook adjustments",
  );
  expect(webhook.problems).toEqual([]);
  const hooks = webhook.accepted.filter((a) => a.event.type === "conversion.adjusted");
  for (const h of hooks)
    expect(verifySignature(SECRET, h.request.headers["tally-signature"], h.request.raw, nowSeconds())).toBe(
      true,
    );
  expect(hooks.map((h) => (h.event.data as { adjustment: string }).adjustment).sort()).toEqual([
    "restate",
    "retract",
  ]);
  expect(
    hooks.find((h) => (h.event.data as { conversion_id: string }).conversion_id === c2!.id)!.event.data,
  ).toMatchObject({
    value: 64.5,
    previous_value: 80,
    order_id: "R-2",
  });

  // Meta cannot take one: skipped, with the reason.
  const skipped = await deliveries(ws.api, m, "skipped");
  expect(skipped).toHaveLength(2);
  expect(skipped[0]!.last_error).toMatch(/Meta.*no way to retract or restate/);
  await settled(ws.api, g, 4);
  expect((await deliveries(ws.api, g)).filter((d) => d.status === "delivered")).toHaveLength(4);

  // Again: nothing new anywhere.
  const again = await ws.api("POST", "/v1/crm/orders", { data: orders });
  expect(again.body.results.every((r: { adjustment?: unknown }) => r.adjustment === undefined)).toBe(true);
  expect((await deliveries(ws.api, g)).length).toBe(4);
  expect((await deliveries(ws.api, m)).length).toBe(4);
});

it("sends nothing to a destination that never received the conversion", async () => {
  const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Other");
  const [c] = await sendEvents(ws.api, [
    purchase({ custom_data: { value: 10, currency: "USD", order_id: "N-1" } }),
  ]);
  // Created after the conversion: it never got it.
  const w = await createDestination(ws.api, {
    type: "webhook",
    config: { url: webhook.url, secret: SECRET },
  });
  const res = await ws.api("POST", "/v1/adjustments", { data: [{ conversion_id: c!.id, type: "retract" }] });
  expect(res.body.accepted).toBe(1);
  expect(await deliveries(ws.api, w)).toEqual([]);
});
