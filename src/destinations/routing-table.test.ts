import { describe, expect, it } from "vitest";
import { parseConfig, type DestinationType } from "./config-schema.js";
import type { ActiveDestination } from "./outbox-worker.js";
import { adapterFor } from "./platforms.js";
import { RoutingTable } from "./routing-table.js";

function dest(
  id: string,
  type: DestinationType,
  raw: Record<string, unknown>,
  events: string[] | null = null,
  workspaceId = "ws_1",
): ActiveDestination {
  const r = parseConfig(type, raw);
  if (!r.ok) throw new Error(r.message);
  return {
    record: { id, workspaceId, type, name: id, events, configEnc: "", createdAt: 0 },
    config: r.config,
    adapter: adapterFor(type),
  };
}

const table = new RoutingTable();
table.set([
  dest("meta", "meta", { pixel_id: "1", access_token: "t" }),
  dest("meta-leads", "meta", { pixel_id: "1", access_token: "t" }, ["Lead"]),
  dest(
    "google",
    "google_ads",
    {
      customer_id: "1234567890",
      developer_token: "d",
      access_token: "a",
      conversion_actions: { Purchase: "1", Lead: "2" },
    },
    ["Purchase", "Lead"],
  ),
  dest("google-purchase", "google_ads", {
    customer_id: "1234567890",
    developer_token: "d",
    access_token: "a",
    conversion_actions: { Purchase: "1" },
  }),
  dest("linkedin", "linkedin", {
    access_token: "t",
    conversions: { Purchase: "urn:lla:llaPartnerConversion:1" },
  }),
  dest("tiktok", "tiktok", { pixel_code: "C", access_token: "t" }),
  dest("webhook", "webhook", { url: "https://h.example", secret: "0123456789abcdef" }),
  dest("elsewhere", "meta", { pixel_id: "1", access_token: "t" }, null, "ws_2"),
]);

describe("RoutingTable.route", () => {
  it.each([
    ["Purchase", false, ["meta", "google", "google-purchase", "linkedin", "tiktok", "webhook"]],
    ["Lead", false, ["meta", "meta-leads", "google", "tiktok", "webhook"]],
    ["Contact", false, ["meta", "tiktok", "webhook"]],
    ["Purchase", true, ["meta", "google", "google-purchase", "tiktok"]],
    ["Lead", true, ["meta", "meta-leads", "google", "tiktok"]],
  ])("%s (test %s) → %j", (name, isTest, ids) => {
    expect(table.route("ws_1", name, isTest)).toEqual(ids);
  });

  it("keeps workspaces apart", () => {
    expect(table.route("ws_2", "Purchase", false)).toEqual(["elsewhere"]);
    expect(table.route("ws_3", "Purchase", false)).toEqual([]);
  });
});
