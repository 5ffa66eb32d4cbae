import { describe, expect, it } from "vitest";
import {
  aggregateQualityReport,
  type QualityClickRow,
  type QualityConversionRow,
} from "../../src/quality/report.js";

const none = { bot: 0, too_fast: 0, click_flood: 0, conversion_burst: 0, datacenter_ip: 0 };
const clk = (
  platform: string,
  campaign: string | null,
  ad: string | null,
  flags: QualityClickRow["flags"] = [],
): QualityClickRow => ({
  platform,
  campaign,
  ad,
  flags,
});
const conv = (
  flags: QualityConversionRow["flags"],
  ...credits: [string, string | null, string | null, number][]
): QualityConversionRow => ({
  flags,
  credits: credits.map(([platform, campaign, ad, credit]) => ({ platform, campaign, ad, credit })),
});

const clicks = [
  clk("google", "spring", "a1"),
  clk("google", "spring", "a1", ["bot", "datacenter_ip"]),
  clk("google", "spring", "a2", ["click_flood"]),
  clk("meta", "retarget", null),
  clk("meta", null, null, ["bot"]),
];
const conversions = [
  conv([], ["google", "spring", "a1", 1]),
  conv(["too_fast"], ["google", "spring", "a2", 1]),
  conv(["conversion_burst", "bot"], ["google", "spring", "a1", 0.5], ["meta", "retarget", null, 0.5]),
  conv(["bot"]), // unattributed
  conv([]),
];

describe("aggregateQualityReport", () => {
  it("by platform: clicks, conversions by credit, flagged ones and each flag", () => {
    expect(aggregateQualityReport(clicks, conversions, "platform")).toEqual({
      rows: [
        {
          key: "google",
          clicks: 3,
          flagged_clicks: 2,
          conversions: 2.5,
          flagged_conversions: 1.5,
          flags: { bot: 1.5, too_fast: 1, click_flood: 1, conversion_burst: 0.5, datacenter_ip: 1 },
        },
        {
          key: "meta",
          clicks: 2,
          flagged_clicks: 1,
          conversions: 0.5,
          flagged_conversions: 0.5,
          flags: { ...none, bot: 1.5, conversion_burst: 0.5 },
        },
      ],
      unattributed: { conversions: 2, flagged_conversions: 1, flags: { ...none, bot: 1 } },
    });
  });

  it("by campaign and by ad: an unknown campaign or ad is (none)", () => {
    expect(
      aggregateQualityReport(clicks, conversions, "campaign").rows.map((r) => [
        r.key,
        r.clicks,
        r.conversions,
      ]),
    ).toEqual([
      ["spring", 3, 2.5],
      ["(none)", 1, 0],
      ["retarget", 1, 0.5],
    ]);
    expect(
      aggregateQualityReport(clicks, conversions, "ad").rows.map((r) => [
        r.key,
        r.flagged_clicks,
        r.flagged_conversions,
      ]),
    ).toEqual([
      ["a2", 1, 1],
      ["a1", 1, 0.5], // 1.5 flagged, 3.5 in all
      ["(none)", 1, 0.5], // 1.5 flagged, 2.5 in all
    ]);
  });

  it("nothing in the period: no rows", () => {
    expect(aggregateQualityReport([], [], "platform")).toEqual({
      rows: [],
      unattributed: { conversions: 0, flagged_conversions: 0, flags: none },
    });
  });

  // Bad rows never sink the report: zero, negative or non-finite credit counts as no credit.
  it.each([0, -1, Number.NaN, Infinity])("a credit of %s is no credit", (credit) => {
    const r = aggregateQualityReport([], [conv(["bot"], ["google", null, null, credit])], "platform");
    expect(r.rows).toEqual([]);
    expect(r.unattributed).toEqual({ conversions: 1, flagged_conversions: 1, flags: { ...none, bot: 1 } });
  });

  it("credit sums carry no float noise", () => {
    const thirds = Array.from({ length: 3 }, () =>
      conv(["bot"], ["g", null, null, 0.1], ["h", null, null, 0.9]),
    );
    const r = aggregateQualityReport([], thirds, "platform");
    expect(r.rows.find((x) => x.key === "g")).toMatchObject({
      conversions: 0.3,
      flagged_conversions: 0.3,
      flags: { bot: 0.3 },
    });
  });
});
