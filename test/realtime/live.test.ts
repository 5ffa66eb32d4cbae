// GET /v1/live and GET /v1/test-events against the real server on loopback (startInProcess),
// with the `ws` client: who may subscribe, what each workspace sees, and the message shapes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { connectLive, refusalOf, type LiveClient } from "./live-client.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("live feed", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let a: Awaited<ReturnType<typeof createWorkspace>>;
  let b: Awaited<ReturnType<typeof createWorkspace>>;
  let wsUrl: string;
  let host: string;
  let sessionCookie: string;
  const open: LiveClient[] = [];
  const live = async (path: string, opts?: Parameters<typeof connectLive>[1]) => {
    const c = await connectLive(wsUrl + path, opts);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startInProcess();
    a = await createWorkspace(t.url, ADMIN_TOKEN, "Shop A");
    b = await createWorkspace(t.url, ADMIN_TOKEN, "Shop B");
    wsUrl = t.url.replace(/^http/, "ws");
    host = new URL(t.url).host;
    const login = await fetch(`${t.url}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(login.status).toBe(200);
    sessionCookie = login.headers.get("set-cookie")!.split(";")[0]!;
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.cleanup();
  });

  const purchase = (orderId: string, extra: Record<string, unknown> = {}) => ({
    event_name: "Purchase",
    event_time: nowSeconds(),
    event_id: `order-${orderId}`,
    custom_data: { value: 42.5, currency: "USD", order_id: orderId },
    ...extra,
  });

  describe("refuses before the upgrade", () => {
    it.each([
      ["no credentials", "/v1/live", {}, 401, "missing_key"],
      ["an unknown key", "/v1/live?token=sk_nope", {}, 401, "unknown_key"],
      ["an unknown key as subprotocol", "/v1/live", { protocols: ["tally", "sk_nope"] }, 401, "unknown_key"],
    ])("%s", async (_name, path, opts, status, code) => {
      const r = await refusalOf(connectLive(wsUrl + path, opts));
      expect(r.status).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(typeof r.body.error.message).toBe("string");
    });

    it("a public key", async () => {
      const r = await refusalOf(connectLive(`${wsUrl}/v1/live?token=${a.public_key}`));
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("key_not_allowed");
    });

    it("a secret key asking for another workspace", async () => {
      const r = await refusalOf(connectLive(`${wsUrl}/v1/live?token=${a.secret_key}&workspace=${b.id}`));
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("key_not_allowed");
    });

    it("a session from a foreign origin, or with no origin", async () => {
      for (const origin of ["http://evil.example", "null", `http://${host}.evil.example`]) {
        const r = await refusalOf(
          connectLive(`${wsUrl}/v1/live?workspace=${a.id}`, { headers: { cookie: sessionCookie, origin } }),
        );
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe("csrf_failed");
      }
      const r = await refusalOf(
        connectLive(`${wsUrl}/v1/live?workspace=${a.id}`, { headers: { cookie: sessionCookie } }),
      );
      expect(r.status).toBe(403);
    });

    it("a session that names no workspace, or an unknown one; an expired session", async () => {
      const headers = { cookie: sessionCookie, origin: t.url };
      expect((await refusalOf(connectLive(`${wsUrl}/v1/live`, { headers }))).status).toBe(403);
      expect((await refusalOf(connectLive(`${wsUrl}/v1/live?workspace=ws_nope`, { headers }))).status).toBe(
        404,
      );
      const stale = await refusalOf(
        connectLive(`${wsUrl}/v1/live?workspace=${a.id}`, {
          headers: { cookie: "tally_session=old", origin: t.url },
        }),
      );
      expect(stale.status).toBe(401);
    });
  });

  describe("accepts", () => {
    it("the secret key as ?token=", async () => {
      const c = await live(`/v1/live?token=${a.secret_key}`);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
    });

    it("the secret key as `Sec-WebSocket-Protocol: tally, <key>`, answering `tally`", async () => {
      const c = await live("/v1/live", { protocols: ["tally", a.secret_key] });
      expect(c.ws.protocol).toBe("tally");
    });

    it("a dashboard session from its own origin, for one workspace", async () => {
      const c = await live(`/v1/live?workspace=${a.id}`, {
        headers: { cookie: sessionCookie, origin: t.url },
      });
      const m = await c.waitFor((m) => m.type === "metrics", "metrics");
      expect(m.data.workspace_id).toBe(a.id);
    });
  });

  it("keeps workspaces apart; the overview (`*`) sees both", async () => {
    const subA = await live(`/v1/live?token=${a.secret_key}`);
    const subB = await live(`/v1/live?token=${b.secret_key}`);
    const all = await live("/v1/live?workspace=*", { headers: { cookie: sessionCookie, origin: t.url } });
    const ra = await a.api("POST", "/v1/events", { data: [purchase("iso-a")] });
    const rb = await b.api("POST", "/v1/events", { data: [purchase("iso-b")] });
    const idA = ra.body.results[0].id as string;
    const idB = rb.body.results[0].id as string;
    await subA.waitFor((m) => m.type === "conversion" && m.data.id === idA, "A's conversion on A");
    await subB.waitFor((m) => m.type === "conversion" && m.data.id === idB, "B's conversion on B");
    await all.waitFor((m) => m.type === "conversion" && m.data.id === idA, "A's conversion on the overview");
    await all.waitFor((m) => m.type === "conversion" && m.data.id === idB, "B's conversion on the overview");
    // B's own message arrived after A's was published, so A's would have arrived by now.
    expect(subB.messages.every((m) => m.data.workspace_id === b.id)).toBe(true);
    expect(subA.messages.filter((m) => m.data.id === idB)).toEqual([]);
    expect(all.messages.some((m) => m.type === "metrics" || m.type === "test_event")).toBe(false);
  });

  it("sends a conversion with its attribution under every model", async () => {
    // An older Google click and a newer tracking-link click of the same person: first and
    // last click disagree.
    const link = await a.api("POST", "/v1/links", {
      destination_url: "https://shop.example/landing",
      platform: "meta",
      campaign: "spring",
      ad: "video-1",
    });
    const redirect = await fetch(`${t.url}/c/${link.body.id}`, { redirect: "manual" });
    const clickId = new URL(redirect.headers.get("location")!).searchParams.get("tally_click")!;
    const clickTime = nowSeconds() - 3600;
    const clicks = await a.api("POST", "/v1/clicks", {
      data: [{ time: clickTime, platform: "google", campaign: "brand", ad: "text-3", gclid: "G-shape-1" }],
    });
    expect(clicks.body.accepted).toBe(1);
    const sub = await live(`/v1/live?token=${a.secret_key}`);
    // event_time is whole seconds, the link click is stamped in ms: a second later keeps it eligible.
    const sent = purchase("shape-1", {
      event_time: nowSeconds() + 1,
      user_data: { click_id: clickId, gclid: "G-shape-1" },
    });
    const res = await a.api("POST", "/v1/events", { data: [sent] });
    const id = res.body.results[0].id as string;
    const m = await sub.waitFor((m) => m.type === "conversion" && m.data.id === id, "the conversion");

    expect(Object.keys(m).sort()).toEqual(["data", "type"]);
    const d = m.data;
    expect(d).toMatchObject({
      workspace_id: a.id,
      id,
      event_name: "Purchase",
      value: 42.5,
      currency: "USD",
      event_id: "order-shape-1",
      event_time: new Date(sent.event_time * 1000).toISOString(),
    });
    for (const k of ["event_time", "received_at", "published_at"]) expect(d[k]).toMatch(ISO);
    expect(Date.parse(d.published_at)).toBeGreaterThanOrEqual(Date.parse(d.received_at));
    expect(d.attribution.model).toBe("last_click");
    expect(d.attribution.touches).toEqual([
      { platform: "meta", campaign: "spring", ad: "video-1", time: expect.stringMatching(ISO), credit: 1 },
    ]);
    expect(Object.keys(d.attribution_all).sort()).toEqual([
      "first_click",
      "last_click",
      "linear",
      "position_based",
      "time_decay",
    ]);
    expect(d.attribution_all.last_click).toEqual(d.attribution.touches);
    expect(d.attribution_all.first_click).toEqual([
      {
        platform: "google",
        campaign: "brand",
        ad: "text-3",
        time: new Date(clickTime * 1000).toISOString(),
        credit: 1,
      },
    ]);
    expect(d.attribution_all.linear.map((x: { credit: number }) => x.credit)).toEqual([0.5, 0.5]);
  });

  it("sends test events and rejected events (masked, with every error) and keeps the last hour for GET /v1/test-events", async () => {
    const sub = await live(`/v1/live?token=${a.secret_key}`);
    const test = await a.api("POST", "/v1/events", {
      test_event_code: "TEST42",
      data: [purchase("test-1", { user_data: { email: "Jane.Doe@Example.com", phone: "+1 415 555 0100" } })],
    });
    expect(test.body.accepted).toBe(1);
    const bad = await a.api("POST", "/v1/events", {
      data: [{ event_name: "Purchase", event_time: nowSeconds(), custom_data: { currency: "USD" } }],
    });
    expect(bad.body.rejected).toBe(1);

    const accepted = await sub.waitFor(
      (m) => m.type === "test_event" && m.data.test_event_code === "TEST42",
      "the test event",
    );
    expect(accepted.data).toMatchObject({
      workspace_id: a.id,
      status: "accepted",
      event_name: "Purchase",
      error: null,
      id: test.body.results[0].id,
    });
    expect(accepted.data.received.user_data).toEqual({ email: "J•••@Example.com", phone: "•••0100" });
    expect(accepted.data.received_at).toMatch(ISO);
    const rejected = await sub.waitFor(
      (m) => m.type === "test_event" && m.data.status === "rejected",
      "the rejected event",
    );
    expect(rejected.data).toMatchObject({
      status: "rejected",
      test_event_code: null,
      id: null,
      event_name: "Purchase",
    });
    expect(rejected.data.error).toEqual(bad.body.results[0].error);
    // A test event is never a conversion on the feed.
    expect(sub.messages.some((m) => m.type === "conversion" && m.data.id === test.body.results[0].id)).toBe(
      false,
    );

    const history = await a.api("GET", "/v1/test-events");
    expect(history.status).toBe(200);
    expect(history.body.data[0]).toEqual(rejected.data);
    expect(history.body.data[1]).toEqual(accepted.data);
    expect((await b.api("GET", "/v1/test-events")).body.data).toEqual([]);
    const asAdmin = await client(t.url, ADMIN_TOKEN)("GET", "/v1/test-events", undefined, {
      "x-tally-workspace": a.id,
    });
    expect(asAdmin.body.data).toEqual(history.body.data);
    expect((await client(t.url, a.public_key)("GET", "/v1/test-events")).status).toBe(403);
  });

  it("sends the current hour's metrics every second", async () => {
    const sub = await live(`/v1/live?token=${b.secret_key}`);
    const first = await sub.waitFor((m) => m.type === "metrics", "metrics");
    const second = await sub.waitFor((m) => m.type === "metrics" && m !== first, "a second metrics message");
    for (const m of [first, second]) {
      expect(m.data.workspace_id).toBe(b.id);
      expect(Object.keys(m.data)).toEqual(
        expect.arrayContaining([
          "start",
          "conversions",
          "value",
          "clicks",
          "conversion_rate",
          "duplicates",
          "dedup_rate",
          "rejected",
          "error_rate",
          "latency_ms_p50",
          "latency_ms_p95",
          "pipeline_ms_p50",
          "pipeline_ms_p95",
        ]),
      );
      const start = Date.parse(m.data.start);
      expect(start % 3_600_000).toBe(0);
      expect(Date.now() - start).toBeLessThan(3_600_000 + 60_000);
    }
  });
});
