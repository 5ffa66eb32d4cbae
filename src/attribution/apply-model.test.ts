import { describe, expect, it } from "vitest";
import { applyModel } from "./apply-model.js";
import { isModelName, MODELS, type Credit, type ModelName, type Touch } from "./types.js";

const T = Date.UTC(2026, 2, 22, 10);
const DAY = 86_400_000;

/** n clicks 7 days apart, oldest first, the newest at the conversion time: ages 7(n-1) … 7, 0 days. */
function weekly(n: number): Touch[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    kind: "click" as const,
    time: T - (n - 1 - i) * 7 * DAY,
    seq: i + 1,
    platform: "google",
    campaign: null,
    ad: null,
  }));
}

/** Credit per touch in time order, 0 for touches the model left out. */
function vector(credits: Credit[], touches: readonly Touch[]): number[] {
  return touches.map((t) => credits.find((c) => c.touch === t)?.credit ?? 0);
}

/** Summed left to right, as a consumer would; the remainder-to-last rule makes this exactly 1. */
function sum(credits: Credit[]): number {
  let s = 0;
  for (const c of credits) s += c.credit;
  return s;
}

const only = (n: number, at: number) => Array.from({ length: n }, (_, i) => (i === at ? 1 : 0));

// time_decay over weekly touches: weights 2^-(n-1) … 1/2, 1, so touch i gets 2^i / (2^n - 1).
const halving = (n: number) => Array.from({ length: n }, (_, i) => 2 ** i / (2 ** n - 1));

const cases: { model: ModelName; n: number; expected: number[] }[] = [
  { model: "last_click", n: 1, expected: [1] },
  { model: "last_click", n: 2, expected: [0, 1] },
  { model: "last_click", n: 3, expected: [0, 0, 1] },
  { model: "last_click", n: 10, expected: only(10, 9) },
  { model: "first_click", n: 1, expected: [1] },
  { model: "first_click", n: 2, expected: [1, 0] },
  { model: "first_click", n: 3, expected: [1, 0, 0] },
  { model: "first_click", n: 10, expected: only(10, 0) },
  { model: "linear", n: 1, expected: [1] },
  { model: "linear", n: 2, expected: [0.5, 0.5] },
  { model: "linear", n: 3, expected: [1 / 3, 1 / 3, 1 / 3] },
  { model: "linear", n: 10, expected: Array<number>(10).fill(0.1) },
  { model: "time_decay", n: 1, expected: [1] },
  { model: "time_decay", n: 2, expected: [1 / 3, 2 / 3] },
  { model: "time_decay", n: 3, expected: [1 / 7, 2 / 7, 4 / 7] },
  { model: "time_decay", n: 10, expected: halving(10) },
  { model: "position_based", n: 1, expected: [1] },
  { model: "position_based", n: 2, expected: [0.5, 0.5] },
  { model: "position_based", n: 3, expected: [0.4, 0.2, 0.4] },
  { model: "position_based", n: 10, expected: [0.4, ...Array<number>(8).fill(0.025), 0.4] },
];

describe("applyModel", () => {
  it.each(cases)("$model with $n touches", ({ model, n, expected }) => {
    const touches = weekly(n);
    const credits = applyModel(model, touches, T);
    const got = vector(credits, touches);
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 12));
    // Only credited touches are returned, in time order.
    expect(credits.every((c) => c.credit > 0)).toBe(true);
    expect(credits.map((c) => c.touch.id)).toEqual(
      touches.filter((_, i) => expected[i] !== 0).map((t) => t.id),
    );
    expect(sum(credits)).toBe(1);
  });

  const decay: { name: string; agesDays: number[]; expected: number[] }[] = [
    { name: "0 and 7 days old: weights 1 and 0.5", agesDays: [7, 0], expected: [1 / 3, 2 / 3] },
    { name: "7 and 14 days old: only relative age matters", agesDays: [14, 7], expected: [1 / 3, 2 / 3] },
    { name: "21, 14, 7, 0 days old", agesDays: [21, 14, 7, 0], expected: [1 / 15, 2 / 15, 4 / 15, 8 / 15] },
    {
      name: "3.5 days apart: weight ratio √2",
      agesDays: [3.5, 0],
      expected: [1 / (1 + Math.SQRT2), Math.SQRT2 / (1 + Math.SQRT2)],
    },
    { name: "same time: equal shares", agesDays: [2, 2, 2], expected: [1 / 3, 1 / 3, 1 / 3] },
    { name: "20 years old: no underflow to 0/0", agesDays: [7300, 7293], expected: [1 / 3, 2 / 3] },
  ];
  it.each(decay)("time_decay exact weights: $name", ({ agesDays, expected }) => {
    const touches = agesDays.map((d, i) => ({ ...weekly(1)[0]!, id: `t${i}`, seq: i, time: T - d * DAY }));
    const credits = applyModel("time_decay", touches, T);
    expect(credits.map((c) => c.credit)).toEqual(expected.map((e) => expect.closeTo(e, 12)));
    expect(sum(credits)).toBe(1);
  });

  // Three touches at the same instant, given out of arrival order.
  const tied: Touch[] = [3, 1, 2].map((seq) => ({ ...weekly(1)[0]!, id: `seq${seq}`, seq, time: T - DAY }));
  const ties: { model: ModelName; expected: string[] }[] = [
    { model: "last_click", expected: ["seq3"] },
    { model: "first_click", expected: ["seq1"] },
    { model: "linear", expected: ["seq1", "seq2", "seq3"] },
    { model: "position_based", expected: ["seq1", "seq2", "seq3"] },
  ];
  it.each(ties)("$model breaks ties in time by arrival order (seq)", ({ model, expected }) => {
    expect(applyModel(model, tied, T).map((c) => c.touch.id)).toEqual(expected);
  });

  it("sorts an unsorted input on a copy, leaving the caller's array alone", () => {
    const touches = weekly(3);
    const shuffled = [touches[2]!, touches[0]!, touches[1]!];
    expect(applyModel("position_based", shuffled, T).map((c) => [c.touch.id, c.credit])).toEqual([
      ["t0", 0.4],
      ["t1", 0.2],
      ["t2", expect.closeTo(0.4, 12)],
    ]);
    expect(shuffled.map((t) => t.id)).toEqual(["t2", "t0", "t1"]);
  });

  it.each(MODELS)("%s sums to exactly 1 over 500 random touch sets", (model) => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 500; round++) {
      const n = 1 + Math.floor(random() * 200);
      const touches = Array.from({ length: n }, (_, i) => ({
        ...weekly(1)[0]!,
        id: `r${i}`,
        seq: i,
        time: T - Math.floor(random() * 30 * DAY),
      }));
      const credits = applyModel(model, touches, T);
      expect(sum(credits)).toBe(1);
      expect(credits.every((c) => c.credit > 0 && c.credit <= 1)).toBe(true);
    }
  });

  const bad: { name: string; touches: Touch[]; conversionTime: number }[] = [
    { name: "no touches", touches: [], conversionTime: T },
    { name: "no touches and a NaN conversion time", touches: [], conversionTime: Number.NaN },
  ];
  it.each(bad)("bad input: $name gives no credits", ({ touches, conversionTime }) => {
    for (const model of MODELS) expect(applyModel(model, touches, conversionTime)).toEqual([]);
  });

  it("time_decay still sums to 1 when the conversion time is not finite", () => {
    const credits = applyModel("time_decay", weekly(2), Number.NaN);
    expect(credits.map((c) => c.credit)).toEqual([expect.closeTo(1 / 3, 12), expect.closeTo(2 / 3, 12)]);
  });
});

describe("isModelName", () => {
  it.each([...MODELS])("accepts %s", (name) => expect(isModelName(name)).toBe(true));
  it.each([["LAST_CLICK"], ["lastclick"], [""], [null], [undefined], [1], [{}], ["toString"]])(
    "rejects %j",
    (value) => expect(isModelName(value)).toBe(false),
  );
});
