/**
 * "A key of workspace A never reads or writes anything of workspace B": every endpoint with
 * another workspace's secret key sees and changes nothing of A; a public key on any /v1/*
 * endpoint is 403. Identities, dedup keys and touch ids are per workspace too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let a: Ws;
let b: Ws;
let aPurchaseId: string;
let aLinkId: string;
let aDestinationId: string;

const t0 = nowSeconds() - 3600;

beforeAll(async () => {
  tally = await startInProcess();
  a = await createWorkspace(tally.url, ADMIN_TOKEN, "Alpha");
  b = await createWorkspace(tally.url, ADMIN_TOKEN, "Beta");
  // A's world: a click, a conversion attributed to it, a link, a custom action, a destination.
  const clicks = await a.api("POST", "/v1/clicks", {
    data: [
      {
        time: t0,
        platform: "google",
        campaign: "alpha-secret-campaign",
        gclid: "G-ALPHA",
        touch_id: "alpha-touch-1",
        anonymous_id: "shared-visitor",
        email: "alpha.user@example.com",
      },
    ],
  });
  expect(clicks.body.accepted).toBe(1);
  const ev = await a.api("POST", "/v1/events", {
    data: [
      {
        event_name: "Purchase",
        event_time: t0 + 60,
        event_id: "shared-order-1",
        custom_data: { value: 50, currency: "USD", order_id: "shared-order" },
        user_data: { anonymous_id: "shared-visitor" },
      },
    ],
  });
  aPurchaseId = ev.body.results[0].id;
  const link = await a.api("POST", "/v1/links", {
    destination_url: "https://alpha.example/land",
    platform: "meta",
    campaign: "alpha-link",
  });
  aLinkId = link.body.id;
  expect((await a.api("PUT", "/v1/conversion-actions/AlphaOnly", { click_window_days: 3 })).status).toBe(200);
  expect(
    (
      await a.api("PATCH", "/v1/workspace", {
        default_country: "DE",
        allowed_origins: ["https://alpha.example"],
      })
    ).status,
  ).toBe(200);
  const dest = await a.api("POST", "/v1/destinations", {
    type: "webhook",
    name: "alpha hook",
    config: { url: "http://127.0.0.1:9/hook", secret: "alpha-webhook-secret" },
  });
  expect(dest.status).toBe(201);
  aDestinationId = dest.body.id;
});
afterAll(async () => {
  await tally?.cleanup();
});

describe("B's secret key sees nothing of A", () => {
  it("GET /v1/workspace is B's own", async () => {
    const res = await b.api("GET", "/v1/workspace");
    expect(res.body).toMatchObject({ id: b.id, name: "Beta", default_country: null, allowed_origins: [] });
  });

  it("GET /v1/conversion-actions does not list A's custom action", async () => {
    const res = await b.api("GET", "/v1/conversion-actions");
    expect(res.body.data.map((x: { name: string }) => x.name)).not.toContain("AlphaOnly");
    const ev = await b.api("POST", "/v1/events", {
      data: [{ event_name: "AlphaOnly", event_time: nowSeconds() }],
    });
    expect(ev.body.results[0]).toMatchObject({ status: "rejected", error: { code: "unknown_event_name" } });
  });

  it("GET /v1/conversions and the report show none of A's conversions or campaigns", async () => {
    const conv = await b.api("GET", "/v1/conversions");
    expect(JSON.stringify(conv.body)).not.toContain(aPurchaseId);
    for (const model of ["last_click", "linear"]) {
      for (const groupBy of ["platform", "campaign"]) {
        const rep = await b.api("GET", `/v1/reports/attribution?model=${model}&group_by=${groupBy}`);
        expect(rep.status).toBe(200);
        expect(JSON.stringify(rep.body)).not.toMatch(/alpha|google/);
      }
    }
    // ...while A's own report does show them (the fixture is real).
    const mine = await a.api("GET", "/v1/reports/attribution?group_by=campaign");
    expect(mine.body.rows).toEqual([{ key: "alpha-secret-campaign", conversions: 1, value: 50 }]);
  });

  it("GET /v1/metrics counts none of A's clicks and conversions", async () => {
    const total = async (ws: Ws) => {
      const res = await ws.api("GET", "/v1/metrics?bucket=hour");
      return (res.body.buckets as { conversions: number; clicks: number }[]).reduce(
        (s, x) => s + x.conversions + x.clicks,
        0,
      );
    };
    expect(await total(b)).toBe(0);
    expect(await total(a)).toBeGreaterThan(0);
  });

  it("destinations: B lists none of A's and cannot read, replay or delete one by id", async () => {
    const list = await b.api("GET", "/v1/destinations");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(aDestinationId);
    expectError(await b.api("GET", `/v1/destinations/${aDestinationId}`), 404, "not_found");
    expectError(await b.api("GET", `/v1/destinations/${aDestinationId}/deliveries`), 404, "not_found");
    expectError(await b.api("DELETE", `/v1/destinations/${aDestinationId}`), 404, "not_found");
    expect((await a.api("GET", `/v1/destinations/${aDestinationId}`)).status).toBe(200);
  });
});

describe("B's secret key changes nothing of A", () => {
  it("PATCH /v1/workspace and PUT /v1/conversion-actions change B only", async () => {
    const other = await createWorkspace(tally.url, ADMIN_TOKEN, "Gamma");
    expect((await other.api("PATCH", "/v1/workspace", { name: "Gamma 2", currency: "EUR" })).status).toBe(
      200,
    );
    expect((await other.api("PUT", "/v1/conversion-actions/Purchase", { click_window_days: 1 })).status).toBe(
      200,
    );
    const ws = await a.api("GET", "/v1/workspace");
    expect(ws.body).toMatchObject({ name: "Alpha", currency: "USD" });
    const actions = await a.api("GET", "/v1/conversion-actions");
    expect(actions.body.data.find((x: { name: string }) => x.name === "Purchase").click_window_days).toBe(30);
  });

  it("the same event_id, order_id and touch_id in B are B's own, not duplicates of A's", async () => {
    const ev = await b.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          event_id: "shared-order-1",
          custom_data: { value: 1, currency: "USD", order_id: "shared-order" },
        },
      ],
    });
    expect(ev.body.results[0].status).toBe("accepted");
    expect(ev.body.results[0].id).not.toBe(aPurchaseId);
    const touch = await b.api("POST", "/v1/clicks", {
      data: [
        {
          time: nowSeconds(),
          platform: "meta",
          campaign: "beta",
          touch_id: "alpha-touch-1",
          gclid: "G-ALPHA",
        },
      ],
    });
    expect(touch.body.results[0].status).toBe("accepted");
  });

  it("identities do not cross: A's click never credits B's conversion of the same visitor", async () => {
    const ev = await b.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Lead",
          event_time: nowSeconds(),
          user_data: { anonymous_id: "shared-visitor", email: "alpha.user@example.com", gclid: "G-ALPHA-2" },
        },
      ],
    });
    expect(ev.body.results[0].status).toBe("accepted");
    const conv = await b.api("GET", "/v1/conversions");
    const lead = conv.body.data.find((c: { id: string }) => c.id === ev.body.results[0].id);
    expect(lead.attribution.touches).toEqual([]);
  });

  it("erasure in B of A's person erases nothing in A", async () => {
    const res = await b.api("POST", "/v1/erasure", {
      email: "alpha.user@example.com",
      anonymous_id: "shared-visitor",
    });
    expect(res.status).toBe(200);
    // A still links the visitor to the click: a new conversion is attributed.
    const ev = await a.api("POST", "/v1/events", {
      data: [
        { event_name: "Lead", event_time: nowSeconds(), user_data: { email: "Alpha.User@example.com" } },
      ],
    });
    const conv = await a.api("GET", "/v1/conversions");
    const lead = conv.body.data.find((c: { id: string }) => c.id === ev.body.results[0].id);
    expect(lead.attribution.touches).toMatchObject([
      { platform: "google", campaign: "alpha-secret-campaign", credit: 1 },
    ]);
  });

  it("a click on A's tracking link is A's click, not B's", async () => {
    const res = await fetch(`${tally.url}/c/${aLinkId}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const rep = await b.api("GET", "/v1/reports/attribution?group_by=campaign");
    expect(JSON.stringify(rep.body)).not.toContain("alpha-link");
  });
});

describe("public keys on /v1/* are 403, A's or B's", () => {
  const endpoints: [string, string, unknown][] = [
    ["GET", "/v1/workspace", undefined],
    ["PATCH", "/v1/workspace", { name: "x" }],
    ["GET", "/v1/workspaces", undefined],
    ["POST", "/v1/workspaces", { name: "x" }],
    ["GET", "/v1/conversion-actions", undefined],
    ["PUT", "/v1/conversion-actions/Lead", {}],
    ["POST", "/v1/events", { data: [{ event_name: "Lead", event_time: 1 }] }],
    ["GET", "/v1/conversions", undefined],
    ["GET", "/v1/reports/attribution", undefined],
    ["GET", "/v1/metrics", undefined],
    ["POST", "/v1/links", { destination_url: "https://x.example", platform: "p", campaign: "c" }],
    ["POST", "/v1/clicks", { data: [{ time: 1, platform: "p", campaign: "c" }] }],
    ["POST", "/v1/impressions", { data: [{ time: 1, platform: "p", campaign: "c" }] }],
    ["POST", "/v1/erasure", { email: "a@b.example" }],
    ["GET", "/v1/destinations", undefined],
    [
      "POST",
      "/v1/destinations",
      { type: "webhook", name: "x", config: { url: "http://127.0.0.1:9/", secret: "s" } },
    ],
  ];
  it.each(endpoints)("%s %s", async (method, path, body) => {
    for (const key of [a.public_key, b.public_key])
      expectError(await client(tally.url, key)(method, path, body), 403, "key_not_allowed");
  });

  it("a public key of A on /t/collect writes into A only", async () => {
    const res = await client(tally.url)(
      "POST",
      `/t/collect?k=${b.public_key}`,
      JSON.stringify({ events: [{ event_name: "Lead", event_id: "beacon-b" }] }),
      { "content-type": "text/plain" },
    );
    expect(res.status).toBe(204);
    const inA = await a.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "beacon-b" }],
    });
    expect(inA.body.results[0].status).toBe("accepted");
    const inB = await b.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "beacon-b" }],
    });
    expect(inB.body.results[0].status).toBe("duplicate");
  });
});

describe("click ids of another workspace's links", () => {
  // Known bug, reported (src/pipeline/link-resolver.ts fillTouch, called from
  // src/pipeline/ingest-pipeline.ts): a Tally click id names its link, and the link is looked up
  // without checking its workspace. A PageView in A carrying a click id of B's link records a
  // touch with B's platform, campaign and ad, which then shows in A's report. Drop `.fails`
  // once fillTouch ignores links of other workspaces.
  it("a PageView in A with B's tally_click never brings B's campaign into A's report", async () => {
    const link = await b.api("POST", "/v1/links", {
      destination_url: "https://beta.example/",
      platform: "meta",
      campaign: "beta-private-campaign",
      ad: "beta-ad",
    });
    const location = (await fetch(`${tally.url}/c/${link.body.id}`, { redirect: "manual" })).headers.get(
      "location",
    )!;
    const clickId = new URL(location).searchParams.get("tally_click")!;
    const beacon = await client(tally.url)("POST", `/t/collect?k=${a.public_key}`, {
      events: [
        {
          event_name: "PageView",
          event_time: Date.now() - 5000,
          user_data: { click_id: clickId, anonymous_id: "cross-tenant" },
        },
      ],
    });
    expect(beacon.status).toBe(204);
    await a.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: Date.now(), user_data: { anonymous_id: "cross-tenant" } }],
    });
    for (const groupBy of ["platform", "campaign", "ad"]) {
      const rep = await a.api("GET", `/v1/reports/attribution?group_by=${groupBy}`);
      expect(JSON.stringify(rep.body)).not.toMatch(/beta-private-campaign|beta-ad/);
    }
  });
});
