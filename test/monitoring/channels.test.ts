/**
 * Alert channels end to end, in real time: an error-rate alert (10 s window) fires and resolves
 * on the live feed and reaches a signed webhook that is down at first (retried, nothing lost),
 * a Slack incoming webhook, and an email over a local SMTP server. Bad channels are refused
 * naming the field, and a private URL is refused without TALLY_ALLOW_PRIVATE_ENDPOINTS.
 */
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "../../src/destinations/webhook/webhook-signature.js";
import { expectError } from "../core/expect-error.js";
import { FakeServer, until } from "../fakes/fake-server.js";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { connectLive } from "../realtime/live-client.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
const SECRET = "whsec_channel_secret_0123";
let tally: Tally;
let hook: FakeServer;
let slack: FakeServer;
let smtp: SMTPServer;
let smtpPort = 0;
const mails: string[] = [];

beforeAll(async () => {
  tally = await startInProcess();
  hook = await new FakeServer("alert-hook", () => ({ status: 204 })).listen();
  slack = await new FakeServer("slack", () => ({ status: 200, body: "ok" })).listen();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _session, cb) {
      let text = "";
      stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
      stream.on("end", () => {
        mails.push(text);
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
  smtpPort = (smtp.server.address() as { port: number }).port;
});
afterAll(async () => {
  await Promise.all([hook?.close(), slack?.close()]);
  await new Promise<void>((r) => smtp?.close(() => r()));
  await tally?.cleanup();
});

describe("alert channels", () => {
  it.each([
    ["an unknown type", { type: "pager", config: {} }, "type"],
    ["a webhook without a URL", { type: "webhook", config: { secret: SECRET } }, "config.url"],
    [
      "a short webhook secret",
      { type: "webhook", config: { url: "https://h.example/x", secret: "s" } },
      "config.secret",
    ],
    ["a Slack channel without its URL", { type: "slack", config: {} }, "config.webhook_url"],
    [
      "an email to no address",
      { type: "email", config: { to: "nobody", smtp_url: "smtp://mail.example" } },
      "config.to",
    ],
    [
      "an email with an http URL",
      { type: "email", config: { to: "a@b.example", smtp_url: "http://mail.example" } },
      "config.smtp_url",
    ],
    [
      "a bad min_severity",
      { type: "slack", config: { webhook_url: "https://hooks.example/x" }, min_severity: "high" },
      "min_severity",
    ],
  ])("refuses %s naming the field", async (_n, body, field) => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Bad channels");
    const res = await ws.api("POST", "/v1/alert-channels", body);
    expectError(res, 422, "validation_failed");
    expect(res.body.error.details.field).toBe(field);
  });

  it("delivers firing and resolved to webhook, Slack and email; a channel that is down loses nothing", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Alerted");
    const made = await Promise.all([
      ws.api("POST", "/v1/alert-channels", {
        type: "webhook",
        config: { url: `${hook.url}/alerts`, secret: SECRET },
      }),
      ws.api("POST", "/v1/alert-channels", {
        type: "slack",
        config: { webhook_url: `${slack.url}/services/T/B/X` },
      }),
      ws.api("POST", "/v1/alert-channels", {
        type: "email",
        config: { to: ["ops@shop.example"], smtp_url: `smtp://127.0.0.1:${smtpPort}` },
      }),
    ]);
    for (const m of made) expect(m.status).toBe(201);
    expect(JSON.stringify(made.map((m) => m.body))).not.toContain(SECRET);
    const listed = await ws.api("GET", "/v1/alert-channels");
    expect(listed.body.data).toHaveLength(3);

    const rule = await ws.api("PUT", "/v1/alert-rules/error_rate", { window_seconds: 10, min_count: 5 });
    expect(rule.status).toBe(200);
    hook.down(); // 503 until up(): the notification must wait, not vanish
    const live = await connectLive(`${tally.url.replace("http", "ws")}/v1/live?token=${ws.secret_key}`);
    // Rules are re-read within 5 s; keep refused events coming until the alert fires.
    const bad = { event_name: "Purchase", event_time: nowSeconds() }; // no value/currency: rejected
    const firing = until(
      async () => {
        await ws.api("POST", "/v1/events", { data: Array.from({ length: 10 }, () => bad) });
        await new Promise((r) => setTimeout(r, 500));
        return live.messages.some((m) => m.type === "alert" && m.data.status === "firing");
      },
      "an error_rate alert on the live feed",
      60_000,
    );
    await firing;
    // The webhook refused at least one attempt; it comes back and the notification still arrives.
    await until(() => hook.requests.length >= 1, "a refused webhook attempt", 30_000);
    hook.up();
    const alertMsg = live.messages.find((m) => m.type === "alert")!;
    expect(alertMsg.data).toMatchObject({
      kind: "error_rate",
      rule: "error_rate",
      status: "firing",
      diagnosis: "tracking_broken",
    });
    await live.waitFor(
      (m) => m.type === "alert" && m.data.status === "resolved",
      "resolved on the live feed",
      60_000,
    );
    live.close();
    expect(live.messages.filter((m) => m.type === "alert").map((m) => m.data.status)).toEqual([
      "firing",
      "resolved",
    ]);

    await until(() => slack.requests.length >= 2 && mails.length >= 2, "Slack and email got both", 30_000);
    expect(slack.requests.map((r) => (r.body as { text: string }).text)).toEqual([
      expect.stringContaining("error_rate"),
      expect.stringContaining("Resolved"),
    ]);
    expect(mails[0]).toContain("Subject: [Tally]");
    const chId = made[0].body.id as string;
    await until(
      async () => {
        const log = await ws.api("GET", `/v1/alert-channels/${chId}/deliveries`);
        return (log.body.data as { status: string }[]).filter((d) => d.status === "delivered").length === 2;
      },
      "both notifications delivered to the webhook after it came back",
      60_000,
    );
    const delivered = hook.requests.filter((r) => r.raw.includes('"tally.alert"'));
    const last = delivered[delivered.length - 1]!;
    expect(verifyWebhook(SECRET, last.headers["tally-signature"], last.raw, nowSeconds())).toBe(true);
    const statuses = new Set(delivered.map((r) => (r.body as { data: { status: string } }).data.status));
    expect(statuses).toEqual(new Set(["firing", "resolved"]));

    const alerts = await ws.api("GET", "/v1/alerts");
    expect((alerts.body.data as { kind: string; status: string }[]).map((a) => [a.kind, a.status])).toEqual([
      ["error_rate", "resolved"],
    ]);
    const del = await ws.api("DELETE", `/v1/alert-channels/${chId}`);
    expect(del.body).toEqual({ id: chId, deleted: true });
    expectError(await ws.api("DELETE", `/v1/alert-channels/${chId}`), 404, "not_found");
  }, 180_000);
});

describe("alert channels under the endpoint policy", () => {
  it("refuses a private URL without TALLY_ALLOW_PRIVATE_ENDPOINTS", async () => {
    const strict = await startInProcess({ TALLY_ALLOW_PRIVATE_ENDPOINTS: "" });
    try {
      const ws = await createWorkspace(strict.url, ADMIN_TOKEN, "Strict");
      const res = await ws.api("POST", "/v1/alert-channels", {
        type: "webhook",
        config: { url: "https://127.0.0.1/hook", secret: SECRET },
      });
      expectError(res, 422, "endpoint_not_allowed");
      expect(res.body.error.details.field).toBe("config.url");
      const smtpRes = await ws.api("POST", "/v1/alert-channels", {
        type: "email",
        config: { to: "ops@shop.example", smtp_url: "smtp://10.0.0.5:25" },
      });
      expectError(smtpRes, 422, "endpoint_not_allowed");
    } finally {
      await strict.cleanup();
    }
  });
});
