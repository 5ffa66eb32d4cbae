import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig, type WebhookConfig } from "../config-schema.js";
import { ctx, storedEvent } from "../testing/stored-event.js";
import { buildWebhookRequest, prepareWebhookEvent, type WebhookEvent } from "./webhook-payload.js";
import { signWebhook, verifyWebhook } from "./webhook-signature.js";

const SECRET = "whsec_0123456789abcdef";
const config = () => {
  const r = parseConfig("webhook", { url: "https://hooks.example/tally", secret: SECRET });
  if (!r.ok) throw new Error(r.message);
  return r.config as WebhookConfig;
};
function item(p: ReturnType<typeof prepareWebhookEvent>): WebhookEvent {
  if (!p.ok) throw new Error(p.error);
  return p.item;
}

describe("signWebhook / verifyWebhook", () => {
  it("signs t.body with HMAC-SHA256 in hex", () => {
    const body = '{"a":1}';
    expect(signWebhook(SECRET, 1764426811, body)).toBe(
      `t=1764426811,v1=${createHmac("sha256", SECRET).update(`1764426811.${body}`).digest("hex")}`,
    );
  });

  it.each([
    ["the right signature", (h: string) => h, '{"a":1}', 1000, true],
    ["a changed body", (h: string) => h, '{"a":2}', 1000, false],
    ["another secret", () => signWebhook("other-secret-000000", 1000, '{"a":1}'), '{"a":1}', 1000, false],
    ["a timestamp 5 minutes and 1 second old", (h: string) => h, '{"a":1}', 1301, false],
    ["a timestamp just under 5 minutes old", (h: string) => h, '{"a":1}', 1300, true],
    ["garbage", () => "v1=zz", '{"a":1}', 1000, false],
    ["no header", () => undefined, '{"a":1}', 1000, false],
  ])("verifies %s", (_n, header, body, now, ok) => {
    expect(verifyWebhook(SECRET, header(signWebhook(SECRET, 1000, '{"a":1}')), body, now)).toBe(ok);
  });
});

describe("webhook payload", () => {
  it("carries the event with its dedup id; user data only with consent", () => {
    const e = item(prepareWebhookEvent(storedEvent(), config(), ctx()));
    expect(e).toMatchObject({
      id: "evt_01jd0000000000000000000000",
      event_id: "order-1001",
      event_name: "Purchase",
      event_time: expect.stringMatching(/Z$/),
      value: 99.99,
      currency: "USD",
      order_id: "1001",
      custom_data: { variant: "B" },
      user_data: { external_id: "crm-77", client_ip_address: "203.0.113.9", gclid: "G-1" },
      consent: { ad_user_data: "granted" },
    });
    expect(item(prepareWebhookEvent(storedEvent(), config(), ctx({ userData: false }))).user_data).toBeNull();
  });

  it("signs the exact body and sets Idempotency-Key", () => {
    const e = item(prepareWebhookEvent(storedEvent(), config(), ctx()));
    const req = buildWebhookRequest([e], config(), "", { nowSeconds: 1764426811 });
    expect(req.url).toBe("https://hooks.example/tally");
    expect(req.headers["idempotency-key"]).toBe("order-1001");
    expect(verifyWebhook(SECRET, req.headers["tally-signature"], req.body, 1764426811)).toBe(true);
    expect(JSON.parse(req.body)).toEqual(e);
  });
});
