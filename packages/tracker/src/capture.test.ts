import { describe, expect, it } from "vitest";
import { KEEP_MS, capture, clickIds, fbc, landing, utm } from "./capture.js";
import type { Attribution } from "./capture.js";

const T0 = 1_764_426_811_123;

describe("landing", () => {
  it.each([
    ["?gclid=G1&utm_source=google", { gclid: ["G1", T0], utm_source: ["google", T0] }],
    [
      "?gbraid=B&wbraid=W&msclkid=M&ttclid=T&li_fat_id=L",
      { gbraid: ["B", T0], wbraid: ["W", T0], msclkid: ["M", T0], ttclid: ["T", T0], li_fat_id: ["L", T0] },
    ],
    ["?tally_click=tc_9&fbclid=F", { tally_click: ["tc_9", T0], fbclid: ["F", T0] }],
    [
      "?utm_medium=cpc&utm_campaign=spring%20sale&utm_content=ad1&utm_term=shoes",
      {
        utm_medium: ["cpc", T0],
        utm_campaign: ["spring sale", T0],
        utm_content: ["ad1", T0],
        utm_term: ["shoes", T0],
      },
    ],
  ])("captures %s", (search, expected) => {
    expect(landing(search, T0)).toEqual(expected);
  });

  it.each([
    ["", "no query"],
    ["?q=shoes&page=2", "unrelated parameters"],
    ["?gclid=&utm_source=", "empty values"],
    ["?GCLID=x&Utm_Source=y", "other casing"],
    ["?%E0%A4%A=1", "a malformed escape"],
  ])("captures nothing from %j (%s)", (search) => {
    expect(landing(search, T0)).toEqual({});
  });

  it("caps a value at 500 characters", () => {
    expect(landing("?gclid=" + "x".repeat(2000), T0).gclid![0]).toHaveLength(500);
  });
});

describe("fbc", () => {
  it("is Meta's fb.1.<ms>.<fbclid>", () => {
    expect(fbc("IwAR2xyz", T0)).toBe("fb.1.1764426811123.IwAR2xyz");
  });

  it("is derived from an fbclid at its first capture", () => {
    const a = capture({}, landing("?fbclid=IwAR2xyz", T0), T0);
    expect(a.fbc).toEqual(["fb.1.1764426811123.IwAR2xyz", T0]);
  });

  it("keeps its first timestamp when the same fbclid is seen again", () => {
    const first = capture({}, landing("?fbclid=F", T0), T0);
    const again = capture(first, landing("?fbclid=F", T0 + 60_000), T0 + 60_000);
    expect(again.fbc![0]).toBe(`fb.1.${T0}.F`);
  });

  it("changes with a new fbclid", () => {
    const first = capture({}, landing("?fbclid=F", T0), T0);
    const next = capture(first, landing("?fbclid=G", T0 + 5), T0 + 5);
    expect(next.fbc![0]).toBe(`fb.1.${T0 + 5}.G`);
  });
});

describe("capture", () => {
  const kept: Attribution = { gclid: ["G1", T0], utm_source: ["google", T0], utm_campaign: ["spring", T0] };

  it("keeps what the landing page brought on later pages", () => {
    expect(capture(kept, landing("", T0 + 1000), T0 + 1000)).toEqual(kept);
  });

  it("drops entries 90 days after their capture", () => {
    expect(capture(kept, {}, T0 + KEEP_MS - 1)).toEqual(kept);
    expect(capture(kept, {}, T0 + KEEP_MS)).toEqual({});
  });

  it("keeps the first capture time of a click id seen again", () => {
    expect(capture(kept, landing("?gclid=G1", T0 + 10), T0 + 10).gclid).toEqual(["G1", T0]);
  });

  it("keeps click ids of other platforms side by side", () => {
    const next = capture(kept, landing("?msclkid=M", T0 + 10), T0 + 10);
    expect(next.gclid).toEqual(["G1", T0]);
    expect(next.msclkid).toEqual(["M", T0 + 10]);
  });

  it("replaces the whole utm set when new utm parameters arrive", () => {
    const next = capture(kept, landing("?utm_source=newsletter", T0 + 10), T0 + 10);
    expect(utm(next)).toEqual({ utm_source: "newsletter" });
    expect(next.gclid).toEqual(["G1", T0]);
  });
});

describe("user_data and custom_data fields", () => {
  const a = capture({}, landing("?gclid=G&fbclid=F&tally_click=tc_1&utm_source=s&utm_campaign=c", T0), T0);

  it("maps tally_click to click_id and adds fbc", () => {
    expect(clickIds(a)).toEqual({ gclid: "G", fbclid: "F", click_id: "tc_1", fbc: `fb.1.${T0}.F` });
  });

  it("puts utm_* apart", () => {
    expect(utm(a)).toEqual({ utm_source: "s", utm_campaign: "c" });
  });
});
