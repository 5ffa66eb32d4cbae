import { describe, expect, it } from "vitest";
import { routeEvent, routeFromRow, TEST_MODE_TYPES } from "../domain/destination-route.js";
import { DESTINATION_TYPES, parseConfig, type DestinationType } from "./config-schema.js";
import { adapterFor } from "./platforms.js";
import { routeEventsOf } from "./routing-table.js";

function route(
  id: string,
  type: DestinationType,
  raw: Record<string, unknown>,
  events: string[] | null = null,
) {
  const r = parseConfig(type, raw);
  if (!r.ok) throw new Error(r.message);
  return routeFromRow(id, type, routeEventsOf(events, r.config));
}

const google = (actions: Record<string, string>) => ({
  customer_id: "1234567890",
  developer_token: "d",
  access_token: "a",
  conversion_actions: actions,
});

const routes = [
  route("meta", "meta", { pixel_id: "1", access_token: "t" }),
  route("meta-leads", "meta", { pixel_id: "1", access_token: "t" }, ["Lead"]),
  route("google", "google_ads", google({ Purchase: "1", Lead: "2" }), ["Purchase", "Lead"]),
  route("google-purchase", "google_ads", google({ Purchase: "1" })),
  route("google-narrowed", "google_ads", google({ Purchase: "1", Lead: "2" }), ["Lead"]),
  route("linkedin", "linkedin", {
    access_token: "t",
    conversions: { Purchase: "urn:lla:llaPartnerConversion:1" },
  }),
  route("tiktok", "tiktok", { pixel_code: "C", access_token: "t" }),
  route("webhook", "webhook", { url: "https://h.example", secret: "0123456789abcdef" }),
];

describe("routeEvent over the stored routes", () => {
  it.each([
    ["Purchase", false, ["meta", "google", "google-purchase", "linkedin", "tiktok", "webhook"]],
    ["Lead", false, ["meta", "meta-leads", "google", "google-narrowed", "tiktok", "webhook"]],
    ["Contact", false, ["meta", "tiktok", "webhook"]],
    ["Purchase", true, ["meta", "google", "google-purchase", "tiktok"]],
    ["Lead", true, ["meta", "meta-leads", "google", "google-narrowed", "tiktok"]],
  ])("%s (test %s) → %j", (name, isTest, ids) => {
    expect(routeEvent(routes, name, isTest)).toEqual(ids);
  });

  it("routes nowhere without destinations", () => {
    expect(routeEvent([], "Purchase", false)).toEqual([]);
  });
});

describe("routeEventsOf", () => {
  it.each([
    ["no list, no map: every action", null, null, null],
    ["an explicit list", ["Lead"], null, ["Lead"]],
    ["a map: its keys", null, { Purchase: "1", Lead: "2" }, ["Purchase", "Lead"]],
    ["a list and a map: the names in both", ["Lead"], { Purchase: "1", Lead: "2" }, ["Lead"]],
  ])("%s", (_name, events, map, expected) => {
    const config = map
      ? parseConfig("google_ads", google(map))
      : parseConfig("meta", { pixel_id: "1", access_token: "t" });
    if (!config.ok) throw new Error(config.message);
    expect(routeEventsOf(events, config.config)).toEqual(expected);
  });
});

describe("TEST_MODE_TYPES", () => {
  it("names exactly the adapters with a test mode", () => {
    for (const type of DESTINATION_TYPES) expect(TEST_MODE_TYPES.has(type)).toBe(adapterFor(type).testMode);
  });
});
