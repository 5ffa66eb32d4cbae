/**
 * Identity over HTTP: identifiers that arrive together in one event or touch are linked,
 * links are transitive, and a conversion's touches are those of everything linked to it —
 * including the links the conversion itself brings. Attribution happens once, at arrival.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { convert, DAY, HOUR, importTouches, MODELS, report, touchesOf, type Ws } from "./attribution-api.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

let tally: Tally;
let ws: Ws;
const T = nowSeconds() - 2 * HOUR;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Identity");
});
afterAll(async () => {
  await tally?.cleanup();
});

/** `tally_identity_links_refused_total` from `/metrics`. */
async function linksRefused(): Promise<number> {
  const res = await fetch(`${tally.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const line = (await res.text())
    .split("\n")
    .find((l) => l.startsWith("tally_identity_links_refused_total "));
  return Number(line?.split(" ")[1]);
}

const event = (name: string, time: number, user: Record<string, string>) => ({
  event_name: name,
  event_time: time,
  user_data: user,
  ...(name === "Purchase" ? { custom_data: { value: 20, currency: "USD" } } : {}),
});

describe("cross-device", () => {
  it("a click on device A, a login linking A to a user, a purchase on device B → attributed to the click", async () => {
    await importTouches(ws, "clicks", [
      { time: T - 3 * DAY, platform: "google", campaign: "brand", gclid: "GCLID-A1", anonymous_id: "a1" },
    ]);
    const login = await ws.api("POST", "/v1/events", {
      data: [event("PageView", T - DAY, { anonymous_id: "a1", external_id: "u1" })],
    });
    expect(login.body.accepted).toBe(1);
    const id = await convert(ws, event("Purchase", T, { anonymous_id: "b2", external_id: "u1" }));
    for (const model of MODELS) {
      expect(await touchesOf(ws, id, model), model).toMatchObject([
        { platform: "google", campaign: "brand", credit: 1 },
      ]);
    }
  });

  it("links are transitive: click ← anonymous_id → external_id → email (any case) → conversion", async () => {
    await importTouches(ws, "clicks", [
      { time: T - 2 * DAY, platform: "meta", campaign: "chain", fbclid: "FB-4", anonymous_id: "a4" },
    ]);
    await ws.api("POST", "/v1/events", {
      data: [event("PageView", T - DAY, { anonymous_id: "a4", external_id: "u4" })],
    });
    await ws.api("POST", "/v1/events", {
      data: [event("Lead", T - HOUR, { external_id: "u4", email: "Chain.Person@Example.com" })],
    });
    const id = await convert(
      ws,
      event("Purchase", T, { email: "  chain.person@example.COM ", anonymous_id: "phone-app-4" }),
    );
    expect((await touchesOf(ws, id)).map((t) => t.campaign)).toEqual(["chain"]);
  });

  it("a phone in another format is the same person", async () => {
    await ws.api("PATCH", "/v1/workspace", { default_country: "US" });
    await importTouches(ws, "clicks", [
      { time: T - DAY, platform: "tiktok", campaign: "phone", ttclid: "TT-5", phone: "+1 415 555 0199" },
    ]);
    const id = await convert(ws, event("Purchase", T, { phone: "(415) 555-0199" }));
    expect((await touchesOf(ws, id)).map((t) => t.campaign)).toEqual(["phone"]);
  });

  it("a shared device: a purchase by another signed-in customer is not credited with the first one's click", async () => {
    await importTouches(ws, "clicks", [
      {
        time: T - 2 * DAY,
        platform: "google",
        campaign: "laptop",
        gclid: "GCLID-LAPTOP",
        anonymous_id: "family-laptop",
      },
    ]);
    await ws.api("POST", "/v1/events", {
      data: [event("PageView", T - DAY, { anonymous_id: "family-laptop", external_id: "parent-1" })],
    });
    const refusedBefore = await linksRefused();
    const other = await convert(
      ws,
      event("Purchase", T, { anonymous_id: "family-laptop", external_id: "teen-2" }),
    );
    expect(await touchesOf(ws, other)).toEqual([]);
    // The laptop kept apart from the second customer, and counted where operators look.
    expect((await linksRefused()) - refusedBefore).toBe(1);
    const same = await convert(ws, event("Purchase", T, { external_id: "parent-1" }));
    expect((await touchesOf(ws, same)).map((t) => t.campaign)).toEqual(["laptop"]);
  });

  it("a device never linked to the clicker stays unattributed", async () => {
    const id = await convert(ws, event("Purchase", T, { anonymous_id: "c9-stranger" }));
    expect(await touchesOf(ws, id)).toEqual([]);
  });
});

describe("links from the conversion itself count for itself", () => {
  it("a conversion carrying the click's gclid and a new device id is attributed to that click", async () => {
    await importTouches(ws, "clicks", [
      { time: T - DAY, platform: "google", campaign: "self-gclid", gclid: "GCLID-SELF" },
    ]);
    const id = await convert(ws, event("Purchase", T, { anonymous_id: "fresh-device", gclid: "GCLID-SELF" }));
    expect((await touchesOf(ws, id)).map((t) => t.campaign)).toEqual(["self-gclid"]);
  });

  it("a conversion joining two known people gets the touches of both", async () => {
    await importTouches(ws, "clicks", [
      { time: T - 2 * DAY, platform: "meta", campaign: "person-x", anonymous_id: "x-device" },
      { time: T - DAY, platform: "google", campaign: "person-y", external_id: "y-user" },
    ]);
    const id = await convert(ws, event("Purchase", T, { anonymous_id: "x-device", external_id: "y-user" }));
    expect((await touchesOf(ws, id, "linear")).map((t) => [t.campaign, t.credit])).toEqual([
      ["person-x", 0.5],
      ["person-y", 0.5],
    ]);
  });

  it("a touch import links its identifiers too", async () => {
    await importTouches(ws, "clicks", [
      {
        time: T - DAY,
        platform: "microsoft",
        campaign: "import-link",
        msclkid: "MS-7",
        anonymous_id: "a7",
        external_id: "u7",
      },
    ]);
    const id = await convert(ws, event("Purchase", T, { external_id: "u7" }));
    expect((await touchesOf(ws, id)).map((t) => t.platform)).toEqual(["microsoft"]);
  });
});

describe("attribution happens once, at arrival", () => {
  it("a link learned after a conversion does not change it; the next conversion sees it", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Timing");
    await importTouches(shop, "clicks", [
      { time: T - DAY, platform: "google", campaign: "late-link", anonymous_id: "a5" },
    ]);
    const before = await convert(shop, event("Purchase", T - HOUR, { anonymous_id: "b5" }));
    await shop.api("POST", "/v1/events", {
      data: [
        event("PageView", T - HOUR + 60, { anonymous_id: "b5", external_id: "u5" }),
        event("PageView", T - HOUR + 61, { anonymous_id: "a5", external_id: "u5" }),
      ],
    });
    const after = await convert(shop, event("Purchase", T, { anonymous_id: "b5" }));
    expect(await touchesOf(shop, before)).toEqual([]);
    expect((await touchesOf(shop, after)).map((t) => t.campaign)).toEqual(["late-link"]);
    const rep = await report(shop, "last_click");
    expect(rep.rows).toEqual([{ key: "google", conversions: 1, value: 20 }]);
    expect(rep.unattributed).toEqual({ conversions: 1, value: 20 });
  });

  it("after erasure a person's old touches no longer credit new conversions; past attribution stays", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Erasure");
    await importTouches(shop, "clicks", [
      {
        time: T - DAY,
        platform: "google",
        campaign: "erased",
        anonymous_id: "e-a",
        email: "gone@example.com",
      },
    ]);
    const first = await convert(shop, event("Purchase", T - HOUR, { email: "gone@example.com" }));
    const erased = await shop.api("POST", "/v1/erasure", { email: "gone@example.com" });
    expect(erased.body.erased).toBeGreaterThanOrEqual(2);
    const second = await convert(
      shop,
      event("Purchase", T, { email: "gone@example.com", anonymous_id: "e-a" }),
    );
    expect((await touchesOf(shop, first)).map((t) => t.campaign)).toEqual(["erased"]);
    expect(await touchesOf(shop, second)).toEqual([]);
  });
});
