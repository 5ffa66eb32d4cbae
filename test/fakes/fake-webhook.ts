/**
 * A fake webhook receiver that does what docs/destinations.md tells receivers to do: verify
 * `Tally-Signature` over the raw body with the shared secret and refuse timestamps older than
 * 5 minutes (401), then take the event (dedup key: `event_id`). Poisoned events answer 400.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { FakeServer, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";

export function verifySignature(
  secret: string,
  header: string | undefined,
  raw: string,
  nowSeconds: number,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, "hex"));
}

export function webhookHandler(secret: string) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.method !== "POST") return { status: 405 };
    if (!verifySignature(secret, req.headers["tally-signature"], req.raw, Math.floor(Date.now() / 1000))) {
      fake.problem("bad or stale signature");
      return { status: 401, body: { error: "bad signature" } };
    }
    const body = req.body;
    // A rule's signal (webhooks with `signals: true`): {"type": "tally.signal", "data": signal}.
    if (isObject(body) && body.type === "tally.signal") {
      const data = body.data;
      if (!isObject(data) || typeof data.id !== "string") {
        fake.problem("signal without data.id");
        return { status: 400, body: { error: "not a signal" } };
      }
      if (req.headers["idempotency-key"] !== data.id)
        fake.problem("Idempotency-Key differs from the signal id");
      fake.accepted.push({ id: data.id, event: body, request: req });
      return { status: 204 };
    }
    // A conversion's adjustment: {"type": "conversion.adjusted", "data": adjustment}.
    if (isObject(body) && body.type === "conversion.adjusted") {
      const data = body.data;
      if (!isObject(data) || typeof data.id !== "string" || typeof data.conversion_id !== "string") {
        fake.problem("adjustment without data.id or data.conversion_id");
        return { status: 400, body: { error: "not an adjustment" } };
      }
      if (req.headers["idempotency-key"] !== data.id)
        fake.problem("Idempotency-Key differs from the adjustment id");
      fake.accepted.push({ id: data.id, event: body, request: req });
      return { status: 204 };
    }
    if (!isObject(body) || typeof body.event_id !== "string" || typeof body.event_name !== "string") {
      fake.problem("body is not a Tally event");
      return { status: 400, body: { error: "not an event" } };
    }
    if (req.headers["idempotency-key"] !== body.event_id)
      fake.problem("Idempotency-Key differs from event_id");
    if (fake.poisoned.has(body.event_id)) return { status: 400, body: { error: "refused" } };
    fake.accepted.push({ id: body.event_id, event: body, request: req });
    return { status: 204 };
  };
}

export async function startFakeWebhook(secret: string): Promise<FakeServer> {
  return new FakeServer("webhook", webhookHandler(secret)).listen();
}
