/**
 * The monitoring endpoints over real HTTP: alert rules (and their bad input), alerts, the
 * conversion ledger (arrivals, identity kinds never values, deliveries), match quality in
 * POST /v1/events results and averaged per destination in GET /v1/destinations/stats.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../core/expect-error.js";
import { createDestination, purchase, sendEvents, settled } from "../destinations/helpers.js";
import { startFakeWebhook } from "../fakes/fake-webhook.js";
import type { FakeServer } from "../fakes/fake-server.js";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
let tally: Tally;
let hook: FakeServer;
let ws: Awaited<ReturnType<typeof createWorkspace>>;

beforeAll(async () => {
  tally = await startInProcess();
  hook = await startFakeWebhook("whsec_test_secret_123456");
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Monitored");
});
afterAll(async () => {
  await hook?.close();
  await tally?.cleanup();
});

describe("alert rules", () => {
  it("lists every kind with its defaults", async () => {
    const res = await ws.api("GET", "/v1/alert-rules");
    expect(res.status).toBe(200);
    const kinds = (res.body.data as { kind: string }[]).map((r) => r.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(["volume_drop", "schema_drift", "destination_slow", "tracking_silent"]),
    );
  });

  it("changes a kind's settings and keeps them", async () => {
    const res = await ws.api("PUT", "/v1/alert-rules/volume_drop", {
      window_seconds: 15,
      baseline_seconds: 600,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: "volume_drop",
      window_seconds: 20,
      baseline_seconds: 600,
      enabled: true,
    });
    const again = await ws.api("GET", "/v1/alert-rules");
    expect((again.body.data as { kind: string }[]).find((r) => r.kind === "volume_drop")).toMatchObject({
      window_seconds: 20,
    });
  });

  it.each([
    ["a window under 10 s", { window_seconds: 5 }, "window_seconds"],
    ["a window that is not a number", { window_seconds: "60" }, "window_seconds"],
    ["a threshold out of range", { threshold: 0.5 }, "threshold"],
    ["a baseline shorter than the window", { window_seconds: 600, baseline_seconds: 60 }, "baseline_seconds"],
    ["an unknown setting", { windows: 60 }, "windows"],
    ["a bad severity", { severity: "page" }, "severity"],
    ["enabled not a boolean", { enabled: "yes" }, "enabled"],
  ])("refuses %s naming the field", async (_n, body, field) => {
    const res = await ws.api("PUT", "/v1/alert-rules/volume_drop", body);
    expectError(res, 422, "validation_failed");
    expect(res.body.error.details.field).toBe(field);
  });

  it("refuses an unknown kind with 404 naming it", async () => {
    const res = await ws.api("PUT", "/v1/alert-rules/volume_dropp", { window_seconds: 60 });
    expectError(res, 404, "not_found");
    expect(res.body.error.details.field).toBe("kind");
    expect(res.body.error.message).toContain("volume_drop");
  });
});

describe("alerts", () => {
  it("lists none at first, and refuses a bad status", async () => {
    const res = await ws.api("GET", "/v1/alerts?status=firing");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [] });
    expectError(await ws.api("GET", "/v1/alerts?status=open"), 400, "invalid_query");
  });
});

describe("match quality and the ledger", () => {
  it("rates each accepted event in the results, with the problems to fix", async () => {
    const res = await ws.api("POST", "/v1/events", {
      data: [
        purchase({
          user_data: {
            email: "jane@example.com",
            phone: "+14155550100",
            gclid: "g-1",
            client_ip_address: "8.8.8.8",
            client_user_agent: "UA",
          },
        }),
        purchase({ user_data: { email: "jane@", phone: "4155550100", client_ip_address: "10.1.2.3" } }),
      ],
    });
    expect(res.status).toBe(200);
    const [good, bad] = res.body.results;
    expect(good.match_quality.score).toBeGreaterThanOrEqual(7);
    expect(good.match_quality.problems).toEqual([]);
    expect(bad.match_quality.score).toBe(0);
    expect(bad.match_quality.problems.map((p: { code: string }) => p.code)).toEqual([
      "email_invalid",
      "phone_no_country",
      "ip_not_public",
    ]);
    expect(JSON.stringify(res.body)).not.toContain("jane@example.com");
  });

  it("tells a conversion's whole story, with identity kinds and never values", async () => {
    const dst = await createDestination(ws.api, {
      type: "webhook",
      name: "hook",
      config: { url: `${hook.url}/hook`, secret: "whsec_test_secret_123456" },
    });
    const ev = purchase({ event_id: `ledger-${Date.now()}` });
    const [r] = await sendEvents(ws.api, [ev]);
    await sendEvents(ws.api, [ev]); // a second copy: a duplicate arrival
    await settled(ws.api, dst, 1);
    const res = await ws.api("GET", `/v1/conversions/${r!.id}`);
    expect(res.status).toBe(200);
    const l = res.body;
    expect(l).toMatchObject({
      id: r!.id,
      event_name: "Purchase",
      value: 99.99,
      currency: "USD",
      quality: { score: expect.any(Number), flags: expect.any(Array) },
      adjustments: [],
    });
    expect(l.arrivals.map((a: { source: string; status: string }) => [a.source, a.status])).toEqual([
      ["server", "accepted"],
      ["server", "duplicate"],
    ]);
    expect(l.identity.kinds).toEqual(expect.arrayContaining(["email", "external_id", "gclid"]));
    expect(l.match_quality.score).toBeGreaterThan(0);
    expect(l.deliveries).toHaveLength(1);
    expect(l.deliveries[0]).toMatchObject({
      destination_id: dst,
      type: "webhook",
      status: "delivered",
      attempts: 1,
      last_status_code: 204,
    });
    expect(l.deliveries[0].latency_ms).toBeGreaterThanOrEqual(0);
    expect(l.attribution.model).toBe("last_click");
    const text = JSON.stringify(l);
    for (const secret of ["john.smith", "Cust-12345", "203.0.113.9", "Cj0KCQ-test-gclid"])
      expect(text).not.toContain(secret);

    const stats = await ws.api("GET", "/v1/destinations/stats");
    const row = (stats.body.data as { id: string; match_quality_avg: number }[]).find((d) => d.id === dst);
    expect(row).toMatchObject({ sent: 1, delivered: 1, acceptance_rate: 1 });
    expect(row!.match_quality_avg).toBeGreaterThan(0);
  });

  it("answers 404 for another workspace's conversion and for a malformed id", async () => {
    const other = await createWorkspace(tally.url, ADMIN_TOKEN, "Other");
    const [r] = await sendEvents(other.api, [purchase({ event_time: nowSeconds() - 1 })]);
    expectError(await ws.api("GET", `/v1/conversions/${r!.id}`), 404, "not_found");
    expectError(await ws.api("GET", "/v1/conversions/not-an-id"), 404, "not_found");
  });
});
