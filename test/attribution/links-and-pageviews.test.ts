/**
 * Tracking links and landing PageViews (API.md "Clicks and impressions", "Browser collection"):
 * /c/{id} redirects with tally_click and records the click; a landing PageView carrying that
 * click id (or an ad platform's, or utm_source + utm_campaign) is a click touch, recorded once;
 * the purchase that follows is attributed to the link's platform, campaign and ad.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../helpers/server.js";
import { expectError } from "../core/expect-error.js";
import { convert, MODELS, report, touchesOf, type Ws } from "./attribution-api.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

let tally: Tally;

beforeAll(async () => {
  tally = await startInProcess();
});
afterAll(async () => {
  await tally?.cleanup();
});

const fresh = (name: string): Promise<Ws> => createWorkspace(tally.url, ADMIN_TOKEN, name);

async function follow(path: string): Promise<Response> {
  return fetch(`${tally.url}${path}`, { redirect: "manual" });
}

/** A browser event through /t/collect (sendBeacon style). */
async function collect(ws: Ws, events: Record<string, unknown>[]): Promise<void> {
  const res = await client(tally.url)("POST", "/t/collect", JSON.stringify({ k: ws.public_key, events }), {
    "content-type": "text/plain",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(204);
}

const purchase = (anonymousId: string, value = 80) => ({
  event_name: "Purchase",
  event_time: Date.now(),
  user_data: { anonymous_id: anonymousId },
  custom_data: { value, currency: "USD" },
});

async function clicksInMetrics(ws: Ws): Promise<number> {
  const m = await ws.api("GET", "/v1/metrics?bucket=hour");
  return (m.body.buckets as { clicks: number }[]).reduce((s, b) => s + b.clicks, 0);
}

describe("POST /v1/links and GET /c/{id}", () => {
  it("302 to the destination with tally_click added, its other query parameters and fragment kept", async () => {
    const ws = await fresh("Links");
    const made = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/land?ref=abc&utm_source=news&x=1#top",
      platform: "meta",
      campaign: "spring",
      ad: "red",
    });
    expect(made.status).toBe(201);
    expect(made.body.id).toMatch(/^lnk_/);
    expect(made.body.url).toBe(`${tally.url}/c/${made.body.id}`);

    const res = await follow(`/c/${made.body.id}`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(`${to.origin}${to.pathname}`).toBe("https://shop.example/land");
    expect(to.searchParams.get("ref")).toBe("abc");
    expect(to.searchParams.get("utm_source")).toBe("news");
    expect(to.searchParams.get("x")).toBe("1");
    expect(to.hash).toBe("#top");
    expect(to.searchParams.get("tally_click")).toMatch(/^\S+$/);
    // Each visit is its own click.
    const again = new URL((await follow(`/c/${made.body.id}`)).headers.get("location")!);
    expect(again.searchParams.get("tally_click")).not.toBe(to.searchParams.get("tally_click"));
  });

  it("query parameters on /c/ never change the destination or the click id", async () => {
    const ws = await fresh("Open redirect");
    const made = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/",
      platform: "google",
      campaign: "c",
    });
    const res = await follow(
      `/c/${made.body.id}?url=https://evil.example/&destination_url=https://evil.example/&tally_click=forged&ref=zzz`,
    );
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin).toBe("https://shop.example");
    expect(to.searchParams.get("tally_click")).not.toBe("forged");
    expect(to.searchParams.get("ref")).toBeNull();
    expect(to.searchParams.getAll("tally_click")).toHaveLength(1);
  });

  it.each(["lnk_00000000000000000000000000", "lnk_nope", "not-a-link", "..%2f..%2fetc"])(
    "an unknown id (%s) is 404",
    async (id) => {
      const res = await follow(`/c/${id}`);
      const body = (await res.json()) as unknown;
      expectError({ status: res.status, headers: res.headers, body }, 404, "not_found");
    },
  );

  it.each([
    ["no destination", { platform: "meta", campaign: "c" }],
    ["a relative destination", { destination_url: "/land", platform: "meta", campaign: "c" }],
    [
      "a javascript: destination",
      { destination_url: "javascript:alert(1)", platform: "meta", campaign: "c" },
    ],
    ["no platform", { destination_url: "https://shop.example/", campaign: "c" }],
    ["no campaign", { destination_url: "https://shop.example/", platform: "meta" }],
  ])("POST /v1/links with %s is 422", async (_name, body) => {
    const ws = await fresh("Bad links");
    expectError(await ws.api("POST", "/v1/links", body), 422, "validation_failed");
  });
});

describe("a tracking link's click through to the purchase", () => {
  let ws: Ws;
  let purchaseId: string;
  beforeAll(async () => {
    ws = await fresh("Link journey");
    const made = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/land?ref=mail",
      platform: "tiktok",
      campaign: "summer-sale",
      ad: "video-3",
    });
    const res = await follow(`/c/${made.body.id}`);
    const clickId = new URL(res.headers.get("location")!).searchParams.get("tally_click")!;
    // The landing page's tag reports the click id it found in the URL, with its visitor id.
    await collect(ws, [
      {
        event_name: "PageView",
        event_time: Date.now(),
        user_data: { click_id: clickId, anonymous_id: "landing-visitor" },
      },
    ]);
    await collect(ws, [
      { event_name: "ViewContent", event_time: Date.now(), user_data: { anonymous_id: "landing-visitor" } },
    ]);
    purchaseId = await convert(ws, purchase("landing-visitor", 80));
  });

  it.each(MODELS)("%s: the report credits the link's platform, campaign and ad", async (model) => {
    for (const [groupBy, key] of [
      ["platform", "tiktok"],
      ["campaign", "summer-sale"],
      ["ad", "video-3"],
    ] as const) {
      const rep = await report(ws, model, groupBy);
      expect(rep.rows, `${model} by ${groupBy}`).toEqual([{ key, conversions: 1, value: 80 }]);
      expect(rep.unattributed).toEqual({ conversions: 0, value: 0 });
    }
  });

  it("the /c/ click and the PageView carrying its id are one touch", async () => {
    expect(await touchesOf(ws, purchaseId, "linear")).toMatchObject([
      { platform: "tiktok", campaign: "summer-sale", ad: "video-3", credit: 1 },
    ]);
    expect(await clicksInMetrics(ws)).toBe(1);
  });

  it("a landing PageView whose redirect click was never recorded still names the link", async () => {
    const other = await fresh("Link without redirect");
    const made = await other.api("POST", "/v1/links", {
      destination_url: "https://shop.example/",
      platform: "linkedin",
      campaign: "b2b",
    });
    // A Tally click id names its link (tc.<link>.<random>): as if the redirect's write was lost.
    const clickId = `tc.${(made.body.id as string).slice(4)}.abcdefXYZ_-1`;
    await collect(other, [
      {
        event_name: "PageView",
        event_time: Date.now() - 1000,
        user_data: { click_id: clickId, anonymous_id: "v-lost" },
      },
    ]);
    const id = await convert(other, purchase("v-lost"));
    expect(await touchesOf(other, id)).toMatchObject([{ platform: "linkedin", campaign: "b2b", credit: 1 }]);
  });
});

describe("PageView touches", () => {
  it.each([
    ["gclid", "google"],
    ["gbraid", "google"],
    ["wbraid", "google"],
    ["fbclid", "meta"],
    ["msclkid", "microsoft"],
    ["ttclid", "tiktok"],
    ["li_fat_id", "linkedin"],
  ])(
    "a PageView with %s is a %s click touch, campaign and ad from utm_campaign and utm_content",
    async (kind, platform) => {
      const ws = await fresh(`PageView ${kind}`);
      await collect(ws, [
        {
          event_name: "PageView",
          event_time: Date.now() - 5000,
          user_data: { [kind]: `${kind}-value-1`, anonymous_id: `v-${kind}` },
          custom_data: {
            utm_source: "ignored-when-a-click-id-is-there",
            utm_campaign: "camp-1",
            utm_content: "ad-1",
          },
        },
      ]);
      const id = await convert(ws, purchase(`v-${kind}`));
      expect(await touchesOf(ws, id)).toMatchObject([
        { platform, campaign: "camp-1", ad: "ad-1", credit: 1 },
      ]);
    },
  );

  it("a PageView with only utm_source and utm_campaign is a touch whose platform is utm_source", async () => {
    const ws = await fresh("UTM");
    await collect(ws, [
      {
        event_name: "PageView",
        event_time: Date.now() - 5000,
        user_data: { anonymous_id: "v-utm" },
        custom_data: { utm_source: "newsletter", utm_campaign: "april", utm_content: "hero" },
      },
    ]);
    const id = await convert(ws, purchase("v-utm"));
    expect(await touchesOf(ws, id)).toMatchObject([
      { platform: "newsletter", campaign: "april", ad: "hero", credit: 1 },
    ]);
  });

  it.each([
    ["utm_source without utm_campaign", { utm_source: "newsletter" }],
    ["utm_campaign without utm_source", { utm_campaign: "april" }],
    ["no utm at all", {}],
  ])("a PageView with %s records no touch", async (_name, custom) => {
    const ws = await fresh("No touch");
    await collect(ws, [
      {
        event_name: "PageView",
        event_time: Date.now() - 5000,
        user_data: { anonymous_id: "v-none" },
        custom_data: custom,
      },
    ]);
    const id = await convert(ws, purchase("v-none"));
    expect(await touchesOf(ws, id)).toEqual([]);
    expect(await clicksInMetrics(ws)).toBe(0);
  });

  it("the same click id twice (a reload, a second tab) is one touch", async () => {
    const ws = await fresh("Reload");
    const pv = { event_name: "PageView", user_data: { gclid: "same-gclid", anonymous_id: "v-reload" } };
    await collect(ws, [{ ...pv, event_time: Date.now() - 9000 }]);
    await collect(ws, [{ ...pv, event_time: Date.now() - 5000 }]);
    // ...and once more through the server API.
    expect(
      (
        await ws.api("POST", "/v1/events", {
          data: [{ ...pv, event_time: Math.floor(Date.now() / 1000) - 3 }],
        })
      ).body.accepted,
    ).toBe(1);
    const id = await convert(ws, purchase("v-reload"));
    expect((await touchesOf(ws, id, "linear")).map((t) => t.credit)).toEqual([1]);
    expect(await clicksInMetrics(ws)).toBe(1);
  });

  it("a click imported through /v1/clicks and the landing PageView with the same gclid are one touch", async () => {
    const ws = await fresh("Import then land");
    const res = await ws.api("POST", "/v1/clicks", {
      data: [
        {
          time: Math.floor(Date.now() / 1000) - 60,
          platform: "google",
          campaign: "imported",
          gclid: "shared-gclid",
        },
      ],
    });
    expect(res.body.accepted).toBe(1);
    await collect(ws, [
      {
        event_name: "PageView",
        event_time: Date.now() - 5000,
        user_data: { gclid: "shared-gclid", anonymous_id: "v-shared" },
      },
    ]);
    const id = await convert(ws, purchase("v-shared"));
    expect(await touchesOf(ws, id, "linear")).toMatchObject([{ campaign: "imported", credit: 1 }]);
  });

  it("a conversion in the same batch right after its landing PageView already sees the touch", async () => {
    const ws = await fresh("Same batch");
    const now = Date.now();
    const res = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "PageView",
          event_time: now - 2000,
          user_data: { fbclid: "fb-batch", anonymous_id: "v-batch" },
        },
        {
          event_name: "Purchase",
          event_time: now - 1000,
          user_data: { anonymous_id: "v-batch" },
          custom_data: { value: 5, currency: "USD" },
        },
      ],
    });
    expect(res.body.accepted).toBe(2);
    expect(await touchesOf(ws, res.body.results[1].id)).toMatchObject([{ platform: "meta", credit: 1 }]);
  });
});
