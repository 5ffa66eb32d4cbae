import { describe, expect, it } from "vitest";
import { CLICK_ID_KINDS, platformForClickIdKind } from "./click-ids.js";

describe("platformForClickIdKind", () => {
  it.each([
    ["gclid", "google"],
    ["gbraid", "google"],
    ["wbraid", "google"],
    ["fbclid", "meta"],
    ["msclkid", "microsoft"],
    ["ttclid", "tiktok"],
    ["li_fat_id", "linkedin"],
    ["GCLID", "google"],
    ["click_id", null],
    ["fbc", null],
    ["utm_source", null],
    ["", null],
    ["constructor", null],
    ["__proto__", null],
  ])("%s → %s", (kind, platform) => {
    expect(platformForClickIdKind(kind)).toBe(platform);
  });

  it("knows a platform for every click id kind but Tally's own", () => {
    expect(CLICK_ID_KINDS.filter((k) => platformForClickIdKind(k) === null)).toEqual(["click_id"]);
  });

  it.each([[null], [undefined], [42]])("bad input %j → null", (kind) => {
    expect(platformForClickIdKind(kind as unknown as string)).toBeNull();
  });
});
