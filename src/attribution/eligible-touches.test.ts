import { describe, expect, it } from "vitest";
import { eligibleTouches, MAX_ELIGIBLE_TOUCHES } from "./eligible-touches.js";
import type { Touch, Windows } from "./types.js";

const T = Date.UTC(2026, 2, 22, 10);
const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const defaults: Windows = { clickWindowDays: 30, viewWindowDays: 1 };

let seq = 0;
function touch(id: string, kind: Touch["kind"], msBefore: number): Touch {
  return { id, kind, time: T - msBefore, seq: ++seq, platform: "meta", campaign: "spring", ad: null };
}
const click = (id: string, msBefore: number) => touch(id, "click", msBefore);
const impression = (id: string, msBefore: number) => touch(id, "impression", msBefore);

const ids = (touches: Touch[]) => touches.map((t) => t.id);

describe("eligibleTouches", () => {
  const cases: { name: string; touches: Touch[]; windows?: Windows; expected: string[] }[] = [
    { name: "click exactly 30 days before: eligible", touches: [click("c", 30 * DAY)], expected: ["c"] },
    { name: "click 30 days and 1 s before: not", touches: [click("c", 30 * DAY + SECOND)], expected: [] },
    { name: "click 30 days and 1 ms before: not", touches: [click("c", 30 * DAY + 1)], expected: [] },
    { name: "impression exactly 1 day before: eligible", touches: [impression("i", DAY)], expected: ["i"] },
    { name: "impression 1 day and 1 s before: not", touches: [impression("i", DAY + SECOND)], expected: [] },
    {
      name: "7-day click window edge",
      touches: [click("in", 7 * DAY), click("out", 7 * DAY + SECOND)],
      windows: { clickWindowDays: 7, viewWindowDays: 1 },
      expected: ["in"],
    },
    {
      name: "fractional window (half a day)",
      touches: [click("in", 12 * HOUR), click("out", 12 * HOUR + 1)],
      windows: { clickWindowDays: 0.5, viewWindowDays: 1 },
      expected: ["in"],
    },
    { name: "touch at the conversion's own time: eligible", touches: [click("c", 0)], expected: ["c"] },
    {
      name: "future click: excluded",
      touches: [click("past", HOUR), click("future", -1)],
      expected: ["past"],
    },
    { name: "future impression: excluded", touches: [impression("future", -SECOND)], expected: [] },
    { name: "view-through when no click at all", touches: [impression("i", HOUR)], expected: ["i"] },
    {
      name: "an eligible click hides every impression",
      touches: [impression("i1", HOUR), click("c", 2 * DAY), impression("i2", 2 * HOUR)],
      expected: ["c"],
    },
    {
      name: "a click outside its window does not hide impressions",
      touches: [click("old", 31 * DAY), impression("i", HOUR)],
      expected: ["i"],
    },
    {
      name: "a future click does not hide impressions",
      touches: [impression("i", HOUR), click("future", -HOUR)],
      expected: ["i"],
    },
    {
      name: "impression outside the view window but inside the click window: excluded",
      touches: [impression("i", 2 * DAY)],
      expected: [],
    },
    {
      name: "sorted by time",
      touches: [click("c3", HOUR), click("c1", 3 * DAY), click("c2", DAY)],
      expected: ["c1", "c2", "c3"],
    },
    {
      name: "ties in time broken by seq (arrival order)",
      touches: [
        { ...click("b", DAY), seq: 20 },
        { ...click("c", DAY), seq: 30 },
        { ...click("a", DAY), seq: 10 },
      ],
      expected: ["a", "b", "c"],
    },
  ];
  it.each(cases)("$name", ({ touches, windows, expected }) => {
    expect(ids(eligibleTouches(touches, T, windows ?? defaults))).toEqual(expected);
  });

  it(`keeps the ${MAX_ELIGIBLE_TOUCHES} most recent of more eligible touches`, () => {
    const many = Array.from({ length: 250 }, (_, i) => click(`c${i}`, (250 - i) * HOUR));
    const got = eligibleTouches(many, T, defaults);
    expect(got).toHaveLength(MAX_ELIGIBLE_TOUCHES);
    expect(got[0]!.id).toBe("c50");
    expect(got.at(-1)!.id).toBe("c249");
  });

  it("returns a new array and leaves the input untouched", () => {
    const input = [click("b", HOUR), click("a", DAY)];
    const got = eligibleTouches(input, T, defaults);
    expect(ids(got)).toEqual(["a", "b"]);
    expect(ids(input)).toEqual(["b", "a"]);
    got.pop();
    expect(input).toHaveLength(2);
  });

  const bad: {
    name: string;
    touches: Touch[];
    conversionTime?: number;
    windows?: Windows;
    expected: string[];
  }[] = [
    { name: "empty touches", touches: [], expected: [] },
    {
      name: "NaN touch time",
      touches: [{ ...click("nan", 0), time: Number.NaN }, click("ok", HOUR)],
      expected: ["ok"],
    },
    {
      name: "infinite touch times",
      touches: [
        { ...click("a", 0), time: Infinity },
        { ...click("b", 0), time: -Infinity },
      ],
      expected: [],
    },
    { name: "NaN conversion time", touches: [click("c", HOUR)], conversionTime: Number.NaN, expected: [] },
    { name: "infinite conversion time", touches: [click("c", HOUR)], conversionTime: Infinity, expected: [] },
    {
      name: "zero click window: clicks never count, impressions still may",
      touches: [click("c", 0), impression("i", HOUR)],
      windows: { clickWindowDays: 0, viewWindowDays: 1 },
      expected: ["i"],
    },
    {
      name: "zero view window: no view-through",
      touches: [impression("i", 0)],
      windows: { clickWindowDays: 30, viewWindowDays: 0 },
      expected: [],
    },
    {
      name: "both windows zero",
      touches: [click("c", 0), impression("i", 0)],
      windows: { clickWindowDays: 0, viewWindowDays: 0 },
      expected: [],
    },
    {
      name: "negative and NaN windows count as off",
      touches: [click("c", 0), impression("i", 0)],
      windows: { clickWindowDays: -1, viewWindowDays: Number.NaN },
      expected: [],
    },
    {
      name: "unknown kind is ignored",
      touches: [{ ...click("x", HOUR), kind: "view" as Touch["kind"] }, impression("i", HOUR)],
      expected: ["i"],
    },
    {
      name: "NaN seq keeps input order among ties",
      touches: [
        { ...click("first", HOUR), seq: Number.NaN },
        { ...click("second", HOUR), seq: Number.NaN },
      ],
      expected: ["first", "second"],
    },
  ];
  it.each(bad)("bad input: $name", ({ touches, conversionTime, windows, expected }) => {
    expect(ids(eligibleTouches(touches, conversionTime ?? T, windows ?? defaults))).toEqual(expected);
  });
});
