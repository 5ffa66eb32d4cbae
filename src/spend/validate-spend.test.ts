import { describe, expect, it } from "vitest";
import { validateSpend } from "./validate-spend.js";

const ctx = {
  workspaceId: "ws_1",
  currency: "USD",
  timezone: "UTC",
  now: Date.parse("2026-03-10T12:00:00Z"),
};
const good = { date: "2026-03-01", platform: "Meta", campaign: "Brand", spend: 53.39 };

describe("validateSpend", () => {
  it("cleans a good row: lower-cased platform, workspace currency, empty account", () => {
    expect(validateSpend(good, ctx)).toEqual({
      ok: true,
      value: {
        workspaceId: "ws_1",
        date: "2026-03-01",
        platform: "meta",
        account: "",
        campaign: "Brand",
        campaignId: null,
        ad: null,
        adId: null,
        spend: 53.39,
        currency: "USD",
        impressions: null,
        clicks: null,
        sourceId: null,
      },
    });
  });

  it.each([
    [{ ...good, spend: 0, currency: "eur", impressions: 10, clicks: 0, account: "act_1", ad: "A" }, "EUR"],
    [{ ...good, date: "2026-03-11" }, "USD"], // tomorrow: clock skew
    [{ ...good, campaign: 120210 }, "USD"], // an id sent as a number
  ])("accepts %j", (row, currency) => {
    const r = validateSpend(row, ctx);
    expect(r.ok && r.value.currency).toBe(currency);
  });

  it.each([
    ["not an object", [1], "invalid_event", undefined],
    ["negative spend", { ...good, spend: -1 }, "invalid_field", "spend"],
    ["non-numeric spend", { ...good, spend: "abc" }, "invalid_field", "spend"],
    ["spend as a numeric string", { ...good, spend: "12" }, "invalid_field", "spend"],
    ["missing spend", { ...good, spend: undefined }, "missing_field", "spend"],
    ["unknown currency", { ...good, currency: "ABC" }, "invalid_field", "currency"],
    ["a currency that is no code", { ...good, currency: "dollars" }, "invalid_field", "currency"],
    ["an impossible date", { ...good, date: "2026-02-30" }, "invalid_field", "date"],
    ["a date in another format", { ...good, date: "03/01/2026" }, "invalid_field", "date"],
    ["a date in the future", { ...good, date: "2026-03-12" }, "invalid_field", "date"],
    ["a date before 2000", { ...good, date: "1999-12-31" }, "invalid_field", "date"],
    ["no date", { ...good, date: undefined }, "missing_field", "date"],
    ["no platform", { ...good, platform: " " }, "missing_field", "platform"],
    ["no campaign", { ...good, campaign: null }, "missing_field", "campaign"],
    ["a campaign that is an object", { ...good, campaign: {} }, "invalid_field", "campaign"],
    ["a long ad", { ...good, ad: "x".repeat(257) }, "invalid_field", "ad"],
    ["fractional impressions", { ...good, impressions: 1.5 }, "invalid_field", "impressions"],
    ["negative clicks", { ...good, clicks: -2 }, "invalid_field", "clicks"],
    ["a NUL", { ...good, campaign: "a\u0000b" }, "invalid_field", "campaign"],
  ])("rejects %s", (_what, row, code, field) => {
    const r = validateSpend(row, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.field).toBe(field);
    }
  });
});
