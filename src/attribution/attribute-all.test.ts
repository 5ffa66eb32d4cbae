import { describe, expect, it } from "vitest";
import { applyModel } from "./apply-model.js";
import { attributeAll } from "./attribute-all.js";
import { eligibleTouches } from "./eligible-touches.js";
import { aggregateReport } from "./report.js";
import { MODELS, type Touch, type Windows } from "./types.js";

const T = Date.UTC(2026, 2, 22, 10);
const DAY = 86_400_000;
const windows: Windows = { clickWindowDays: 30, viewWindowDays: 1 };

function touch(id: string, kind: Touch["kind"], daysBefore: number, seq: number, platform: string): Touch {
  return { id, kind, time: T - daysBefore * DAY, seq, platform, campaign: `${platform}-campaign`, ad: null };
}

// The worked example of docs/attribution.md: four clicks a week apart, an impression the click
// hides, a click outside the 30-day window and one that arrives after the purchase.
const journey: Touch[] = [
  touch("too-old", "click", 31, 1, "google"),
  touch("meta", "click", 21, 2, "meta"),
  touch("google-1", "click", 14, 3, "google"),
  touch("impression", "impression", 16 / 24, 4, "meta"),
  touch("tiktok", "click", 7, 5, "tiktok"),
  touch("google-2", "click", 0, 6, "google"),
  touch("after", "click", -1, 7, "google"),
];

describe("attributeAll", () => {
  const expected: Record<(typeof MODELS)[number], [string, number][]> = {
    last_click: [["google-2", 1]],
    first_click: [["meta", 1]],
    linear: [
      ["meta", 0.25],
      ["google-1", 0.25],
      ["tiktok", 0.25],
      ["google-2", 0.25],
    ],
    time_decay: [
      ["meta", 1 / 15],
      ["google-1", 2 / 15],
      ["tiktok", 4 / 15],
      ["google-2", 8 / 15],
    ],
    position_based: [
      ["meta", 0.4],
      ["google-1", 0.1],
      ["tiktok", 0.1],
      ["google-2", 0.4],
    ],
  };
  it.each(MODELS)("the docs' worked example: %s", (model) => {
    const got = attributeAll(journey, T, windows)[model];
    expect(got.map((c) => [c.touch.id, c.credit])).toEqual(
      expected[model].map(([id, credit]) => [id, expect.closeTo(credit, 12)]),
    );
    expect(got.reduce((s, c) => s + c.credit, 0)).toBe(1);
  });

  const reports: { model: (typeof MODELS)[number]; rows: [string, number, number][] }[] = [
    { model: "last_click", rows: [["google", 1, 120]] },
    { model: "first_click", rows: [["meta", 1, 120]] },
    {
      model: "linear",
      rows: [
        ["google", 0.5, 60],
        ["meta", 0.25, 30],
        ["tiktok", 0.25, 30],
      ],
    },
    {
      model: "time_decay",
      rows: [
        ["google", 0.666667, 80],
        ["tiktok", 0.266667, 32],
        ["meta", 0.066667, 8],
      ],
    },
    {
      model: "position_based",
      rows: [
        ["google", 0.5, 60],
        ["meta", 0.4, 48],
        ["tiktok", 0.1, 12],
      ],
    },
  ];
  it.each(reports)("the docs' report by platform for a $120 purchase: $model", ({ model, rows }) => {
    const credits = attributeAll(journey, T, windows)[model].map((c) => ({ ...c.touch, credit: c.credit }));
    const report = aggregateReport([{ value: 120, currency: "USD", credits }], "platform", {
      currency: "USD",
    });
    expect(report.rows.map((r) => [r.key, r.conversions, r.value])).toEqual(rows);
  });

  it.each(MODELS)("%s agrees with applyModel over eligibleTouches", (model) => {
    expect(attributeAll(journey, T, windows)[model]).toEqual(
      applyModel(model, eligibleTouches(journey, T, windows), T),
    );
  });

  const unattributed: { name: string; touches: Touch[]; windows: Windows }[] = [
    { name: "no touches", touches: [], windows },
    { name: "only touches outside the windows", touches: [touch("old", "click", 31, 1, "meta")], windows },
    { name: "only future touches", touches: [touch("later", "click", -1, 1, "meta")], windows },
    { name: "windows switched off", touches: journey, windows: { clickWindowDays: 0, viewWindowDays: 0 } },
  ];
  it.each(unattributed)(
    "unattributed ($name): every model is an empty array of its own",
    ({ touches, windows }) => {
      const got = attributeAll(touches, T, windows);
      expect(Object.keys(got).sort()).toEqual([...MODELS].sort());
      for (const model of MODELS) expect(got[model]).toEqual([]);
      got.linear.push({ touch: journey[0]!, credit: 1 });
      expect(got.last_click).toEqual([]);
    },
  );
});
