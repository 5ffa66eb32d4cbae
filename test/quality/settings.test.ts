import { describe, expect, it } from "vitest";
import {
  DEFAULT_QUALITY_SETTINGS,
  effectiveQualitySettings,
  qualitySettingsJson,
  validateFlaggedConversions,
  validateQualityPatch,
} from "../../src/quality/settings.js";

describe("validateQualityPatch", () => {
  it.each([
    [{}, {}],
    [{ min_click_to_conversion_seconds: 0 }, { minClickToConversionSeconds: 0 }],
    [{ min_click_to_conversion_seconds: 1.5 }, { minClickToConversionSeconds: 1.5 }],
    [{ max_clicks_per_ip_per_minute: 50 }, { maxClicksPerIpPerMinute: 50 }],
    [{ max_conversions_per_identity_per_hour: 1 }, { maxConversionsPerIdentityPerHour: 1 }],
    [
      { min_click_to_conversion_seconds: null, max_clicks_per_ip_per_minute: 100_000 },
      { minClickToConversionSeconds: null, maxClicksPerIpPerMinute: 100_000 },
    ],
  ])("%j", (raw, value) => expect(validateQualityPatch(raw)).toEqual({ ok: true, value }));

  // The bad-input table: every refusal is the contract's error naming the field.
  it.each<[unknown, string, RegExp]>([
    [null, "quality", /must be an object/],
    ["fast", "quality", /must be an object/],
    [[1], "quality", /must be an object/],
    [
      { max_clicks: 5 },
      "quality.max_clicks",
      /not a quality setting; they are min_click_to_conversion_seconds, max_clicks_per_ip_per_minute, max_conversions_per_identity_per_hour/,
    ],
    [
      { min_click_to_conversion_seconds: -1 },
      "quality.min_click_to_conversion_seconds",
      /from 0 \(off\) to 86400/,
    ],
    [{ min_click_to_conversion_seconds: 86_401 }, "quality.min_click_to_conversion_seconds", /86400/],
    [
      { min_click_to_conversion_seconds: "3" },
      "quality.min_click_to_conversion_seconds",
      /number of seconds/,
    ],
    [{ min_click_to_conversion_seconds: Number.NaN }, "quality.min_click_to_conversion_seconds", /number/],
    [
      { max_clicks_per_ip_per_minute: 0 },
      "quality.max_clicks_per_ip_per_minute",
      /whole number from 1 to 100000/,
    ],
    [{ max_clicks_per_ip_per_minute: 2.5 }, "quality.max_clicks_per_ip_per_minute", /whole number/],
    [{ max_clicks_per_ip_per_minute: true }, "quality.max_clicks_per_ip_per_minute", /whole number/],
    [
      { max_conversions_per_identity_per_hour: 100_001 },
      "quality.max_conversions_per_identity_per_hour",
      /whole number/,
    ],
    [
      { max_conversions_per_identity_per_hour: Infinity },
      "quality.max_conversions_per_identity_per_hour",
      /whole number/,
    ],
  ])("refuses %j", (raw, field, message) => {
    const r = validateQualityPatch(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("validation_failed");
    expect(r.error.details).toEqual({ field });
    expect(r.error.message).toMatch(message);
  });

  it("a long unknown name is cut in the message", () => {
    const r = validateQualityPatch({ ["x".repeat(10_000)]: 1 });
    expect(!r.ok && r.error.message.length).toBeLessThan(400);
  });
});

describe("validateFlaggedConversions", () => {
  it.each(["count", "exclude"])("%s", (v) =>
    expect(validateFlaggedConversions(v)).toEqual({ ok: true, value: v }),
  );
  it.each([null, "", "Exclude", 1, ["count"]])("refuses %j", (v) =>
    expect(validateFlaggedConversions(v)).toEqual({
      ok: false,
      error: {
        code: "validation_failed",
        message: '`flagged_conversions` must be "count" or "exclude".',
        details: { field: "flagged_conversions" },
      },
    }),
  );
});

describe("effective settings", () => {
  it("the defaults are the contract's: 3 s, 20 clicks a minute, 5 conversions an hour, count", () => {
    expect(effectiveQualitySettings({})).toEqual(DEFAULT_QUALITY_SETTINGS);
    expect(qualitySettingsJson(DEFAULT_QUALITY_SETTINGS)).toEqual({
      quality: {
        min_click_to_conversion_seconds: 3,
        max_clicks_per_ip_per_minute: 20,
        max_conversions_per_identity_per_hour: 5,
      },
      flagged_conversions: "count",
    });
  });
  it("a stored null is the default; a stored value wins", () => {
    expect(
      effectiveQualitySettings({
        maxClicksPerIpPerMinute: null,
        minClickToConversionSeconds: 0,
        flaggedConversions: "exclude",
      }),
    ).toEqual({
      ...DEFAULT_QUALITY_SETTINGS,
      minClickToConversionSeconds: 0,
      flaggedConversions: "exclude",
    });
  });
});
