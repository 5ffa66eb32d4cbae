import { describe, expect, it } from "vitest";
import { AlertRules, evaluateAlerts } from "./alert-rules.js";
import { emptyRow } from "./buckets.js";
import type { MetricsRow } from "../storage/storage.js";

const minute = (i: number, c: Partial<MetricsRow> = {}): MetricsRow => ({ ...emptyRow(i * 60_000), ...c });
const steady = (n: number, perMinute: number): MetricsRow[] =>
  Array.from({ length: n }, (_, i) => minute(i, { received: perMinute, accepted: perMinute }));

describe("evaluateAlerts", () => {
  it.each([
    ["no data", [], []],
    ["a healthy minute", [minute(0, { received: 100, accepted: 99, rejected: 1 })], []],
    ["rejections of a fifth", [minute(0, { received: 100, accepted: 80, rejected: 20 })], ["error_rate"]],
    ["rejections on too few events", [minute(0, { received: 5, rejected: 5 })], []],
    ["half duplicates", [minute(0, { received: 40, accepted: 20, duplicates: 20 })], ["dedup_rate"]],
  ])("%s", (_name, minutes, rules) => {
    expect(evaluateAlerts(minutes).map((a) => a.rule)).toEqual(rules);
  });

  it("raises tracking_silent when a steady flow stops for 5 minutes", () => {
    const minutes = [...steady(30, 40), ...Array.from({ length: 5 }, (_, i) => minute(30 + i))];
    const alerts = evaluateAlerts(minutes);
    expect(alerts.map((a) => a.rule)).toEqual(["tracking_silent"]);
    expect(alerts[0]!.message).toContain("40 a minute");
  });

  it.each([
    ["a trickle before", [...steady(30, 2), ...Array.from({ length: 5 }, (_, i) => minute(30 + i))]],
    [
      "one event in the quiet minutes",
      [
        ...steady(30, 40),
        ...Array.from({ length: 5 }, (_, i) => minute(30 + i, { received: i === 2 ? 1 : 0 })),
      ],
    ],
    ["not enough history", [...steady(10, 40), ...Array.from({ length: 5 }, (_, i) => minute(10 + i))]],
  ])("stays quiet with %s", (_name, minutes) => {
    expect(evaluateAlerts(minutes)).toEqual([]);
  });
});

describe("AlertRules", () => {
  it("raises a condition once until it has been quiet for the period", () => {
    const rules = new AlertRules(15 * 60_000);
    const bad = [minute(0, { received: 100, accepted: 50, rejected: 50 })];
    expect(rules.check("ws", bad, 0)).toHaveLength(1);
    expect(rules.check("other", bad, 0)).toHaveLength(1);
    // Checked every minute while the condition lasts: no repeat.
    for (let m = 1; m <= 20; m++) expect(rules.check("ws", bad, m * 60_000)).toHaveLength(0);
    // Quiet from minute 21 to 35, firing again at 36: raised again.
    for (let m = 21; m <= 35; m++) expect(rules.check("ws", [], m * 60_000)).toHaveLength(0);
    expect(rules.check("ws", bad, 36 * 60_000)).toHaveLength(1);
  });
});
