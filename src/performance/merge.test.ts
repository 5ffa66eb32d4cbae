import { describe, expect, it } from "vitest";
import type { CreditTotal, SpendTotal } from "../storage/spend-store.js";
import { mergePerformance } from "./merge.js";

const spend = (o: Partial<SpendTotal>): SpendTotal => ({
  date: null,
  platform: "meta",
  campaignKey: "111",
  campaignName: "Brand",
  campaignId: "111",
  adKey: null,
  adName: null,
  adId: null,
  account: "act_1",
  currency: "USD",
  spend: 60,
  impressions: 900,
  clicks: 30,
  ...o,
});
const credit = (o: Partial<CreditTotal>): CreditTotal => ({
  platform: "meta",
  campaign: "Brand",
  ad: null,
  currency: "USD",
  conversions: 1,
  value: 50,
  ...o,
});

describe("mergePerformance: matching spend and credit", () => {
  it.each([
    ["the campaign id", "111"],
    ["the name", "Brand"],
    ["the name in another case, with spaces", " brand "],
  ])("a touch naming %s meets the campaign's spend", (_what, campaign) => {
    const r = mergePerformance([credit({ campaign, conversions: 2, value: 90 })], [spend({})], {
      groupBy: "campaign",
      currency: "USD",
    });
    expect(r.rows).toEqual([
      {
        key: "Brand",
        platform: "meta",
        campaign_id: "111",
        account: "act_1",
        spend: 60,
        impressions: 900,
        clicks: 30,
        conversions: 2,
        value: 90,
        cpa: 30,
        roas: 1.5,
      },
    ]);
  });

  it("never matches across platforms; spend without conversions and conversions without spend get rows", () => {
    const r = mergePerformance([credit({ platform: "google", campaign: "Brand" })], [spend({})], {
      groupBy: "campaign",
      currency: "USD",
    });
    expect(r.rows.map((x) => [x.platform, x.key, x.spend, x.conversions, x.cpa, x.roas])).toEqual([
      ["meta", "Brand", 60, 0, null, 0],
      ["google", "Brand", 0, 1, 0, null],
    ]);
    expect(r.totals).toMatchObject({ spend: 60, conversions: 1, value: 50, cpa: 60, roas: 50 / 60 });
  });

  it("matches ads by id on the platform, else by name within the campaign", () => {
    const r = mergePerformance(
      [
        credit({ campaign: "something else", ad: "a1", conversions: 1, value: 10 }),
        credit({ campaign: "111", ad: "Video", conversions: 3, value: 30 }),
        credit({ campaign: "Brand", ad: null, conversions: 1, value: 5 }),
      ],
      [
        spend({ adKey: "a1", adName: "Static", adId: "a1", spend: 20 }),
        spend({ adKey: "a2", adName: "Video", adId: "a2", spend: 40 }),
      ],
      { groupBy: "ad", currency: "USD" },
    );
    expect(r.rows.map((x) => [x.campaign, x.key, x.ad_id, x.spend, x.conversions])).toEqual([
      ["Brand", "Video", "a2", 40, 3],
      ["Brand", "Static", "a1", 20, 1],
      ["Brand", "(none)", null, 0, 1],
    ]);
  });

  it("keeps other currencies out of spend and value, and counts their conversions", () => {
    const r = mergePerformance(
      [credit({ currency: "EUR", conversions: 1, value: 70 }), credit({ currency: null, value: 30 })],
      [spend({ currency: "EUR", spend: 15 }), spend({ spend: 45 })],
      { groupBy: "platform", currency: "USD" },
    );
    expect(r.rows).toEqual([
      {
        key: "meta",
        platform: "meta",
        spend: 45,
        impressions: 1800,
        clicks: 60,
        conversions: 2,
        value: 30,
        cpa: 22.5,
        roas: 30 / 45,
      },
    ]);
    expect(r.other_currencies).toEqual({ EUR: { spend: 15, conversions: 1, value: 70 } });
  });

  it("weighs spend rows when asked (trailing windows)", () => {
    const r = mergePerformance([], [spend({ date: "2026-03-01", spend: 48 })], {
      groupBy: "platform",
      currency: "USD",
      weight: () => 0.25,
    });
    expect(r.rows[0]).toMatchObject({ spend: 12, impressions: 225 });
  });

  it("has no rows for nothing", () => {
    expect(mergePerformance([], [], { groupBy: "ad", currency: "USD" })).toEqual({
      rows: [],
      totals: { spend: 0, impressions: 0, clicks: 0, conversions: 0, value: 0, cpa: null, roas: null },
      other_currencies: {},
    });
  });
});
