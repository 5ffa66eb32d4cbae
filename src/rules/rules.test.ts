import { describe, expect, it } from "vitest";
import { boundedBudget } from "./budget-bound.js";
import { evaluate, metricValue, type WindowTotals } from "./evaluate.js";
import { parseRule, patchRule } from "./rule.js";
import { WindowTable } from "./window-cache.js";

const T = (o: Partial<WindowTotals>): WindowTotals => ({
  spend: 0,
  impressions: 0,
  clicks: 0,
  conversions: 0,
  value: 0,
  ...o,
});
const BASE = {
  name: "r",
  metric: "cpa",
  op: ">",
  threshold: 40,
  window_hours: 24,
  group_by: "campaign",
  signal: "decrease_budget",
};

describe("metricValue", () => {
  it.each([
    ["cpa", T({ spend: 100, conversions: 4 }), 25],
    ["cpa", T({ spend: 100 }), Infinity],
    ["cpa", T({}), null],
    ["roas", T({ spend: 50, value: 150 }), 3],
    ["roas", T({ value: 150 }), null],
    ["conversion_rate", T({ clicks: 10, conversions: 2 }), 0.2],
    ["conversion_rate", T({ conversions: 2 }), null],
    ["spend", T({ spend: 7 }), 7],
    ["value", T({ value: 9 }), 9],
    ["conversions", T({ conversions: 1.5 }), 1.5],
  ] as const)("%s of %j is %s", (metric, totals, expected) => {
    expect(metricValue(metric, totals)).toBe(expected);
  });
});

describe("evaluate", () => {
  const rule = (o: object) => ({
    metric: "cpa" as const,
    op: ">" as const,
    threshold: 40,
    min_spend: 0,
    min_conversions: 0,
    ...o,
  });
  it.each([
    [
      "infinite CPA fires once min_spend is reached, value null",
      rule({ min_spend: 50 }),
      T({ spend: 60 }),
      true,
      null,
    ],
    ["below min_spend nothing fires", rule({ min_spend: 100 }), T({ spend: 60 }), false, null],
    [
      "below min_conversions nothing fires",
      rule({ min_conversions: 3 }),
      T({ spend: 900, conversions: 2 }),
      false,
      450,
    ],
    ["CPA above the line", rule({}), T({ spend: 90, conversions: 2 }), true, 45],
    ["CPA on the line is not above it", rule({}), T({ spend: 80, conversions: 2 }), false, 40],
    [
      "float noise never decides",
      rule({ metric: "value", op: "<=", threshold: 0.3 }),
      T({ value: 0.1 + 0.2 }),
      true,
      0.3,
    ],
    [
      "ROAS without spend never fires",
      rule({ metric: "roas", op: "<", threshold: 1 }),
      T({ value: 0 }),
      false,
      null,
    ],
    [
      "ROAS of 0 with spend fires `<`",
      rule({ metric: "roas", op: "<", threshold: 1 }),
      T({ spend: 10 }),
      true,
      0,
    ],
  ])("%s", (_what, r, totals, holds, value) => {
    expect(evaluate(r, totals)).toEqual({ holds, value });
  });
});

describe("parseRule", () => {
  it("fills defaults", () => {
    const p = parseRule(BASE);
    expect(p).toMatchObject({
      ok: true,
      spec: {
        model: "last_click",
        min_spend: 0,
        min_conversions: 0,
        cooldown_minutes: 60,
        enabled: true,
        apply: null,
      },
    });
  });
  it("fills apply defaults", () => {
    const p = parseRule({ ...BASE, apply: { spend_source: "src_1" } });
    expect(p).toMatchObject({
      ok: true,
      spec: { apply: { spend_source: "src_1", change_pct: 20, max_daily_change_pct: 50, dry_run: false } },
    });
  });
  it.each([
    [{ metric: "ctr" }, "metric"],
    [{ op: "=" }, "op"],
    [{ threshold: "1" }, "threshold"],
    [{ threshold: Number.NaN }, "threshold"],
    [{ window_hours: 0 }, "window_hours"],
    [{ window_hours: 10_000 }, "window_hours"],
    [{ group_by: "x" }, "group_by"],
    [{ model: "x" }, "model"],
    [{ signal: "x" }, "signal"],
    [{ min_conversions: -1 }, "min_conversions"],
    [{ enabled: "yes" }, "enabled"],
    [{ name: "x".repeat(129) }, "name"],
    [{ extra: 1 }, "extra"],
    [{ apply: "yes" }, "apply"],
    [{ apply: { spend_source: "s", change_pct: 101 } }, "apply.change_pct"],
    [{ apply: { spend_source: "s", max_daily_change_pct: -1 } }, "apply.max_daily_change_pct"],
    [{ apply: { spend_source: "s", dry_run: 1 } }, "apply.dry_run"],
    [{ apply: { spend_source: "s", what: 1 } }, "apply.what"],
    [{ apply: { change_pct: 5 } }, "apply.spend_source"],
    [{ group_by: "platform", apply: { spend_source: "s" } }, "apply"],
    [{ group_by: "ad", apply: { spend_source: "s" } }, "apply"],
  ])("bad input %j names %s", (over, field) => {
    const p = parseRule({ ...BASE, ...over });
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.field).toBe(field);
  });
  it("PATCH changes only what it names; apply: null removes it", () => {
    const p = parseRule({ ...BASE, apply: { spend_source: "s" } });
    if (!p.ok) throw new Error(p.message);
    const q = patchRule(p.spec, { threshold: 10, apply: null });
    expect(q).toMatchObject({ ok: true, spec: { ...BASE, threshold: 10, apply: null } });
    expect(patchRule(p.spec, { metric: "nope" })).toMatchObject({ ok: false, field: "metric" });
  });
});

describe("boundedBudget", () => {
  it.each([
    ["a plain increase", 100, "increase", 20, 50, null, { ok: true, from: 100, to: 120, clamped: false }],
    ["a plain decrease", 100, "decrease", 20, 50, null, { ok: true, from: 100, to: 80, clamped: false }],
    [
      "cut to the day's bound",
      140,
      "increase",
      20,
      50,
      { base: 100 },
      { ok: true, from: 140, to: 150, clamped: true },
    ],
    [
      "cut to the day's lower bound",
      60,
      "decrease",
      20,
      50,
      { base: 100 },
      { ok: true, from: 60, to: 50, clamped: true },
    ],
  ] as const)("%s", (_w, current, dir, change, max, day, expected) => {
    expect(boundedBudget(current, dir, change, max, day)).toEqual(expected);
  });
  it.each([
    ["at the bound", 150, { base: 100 }],
    ["no budget", 0, null],
  ] as const)("refused %s", (_w, current, day) => {
    expect(boundedBudget(current, "increase", 20, 50, day)).toMatchObject({ ok: false });
  });
});

describe("WindowTable", () => {
  it("a credit meets its row by id or by name (case and spaces ignored), else gets its own", () => {
    const t = new WindowTable(
      { model: "last_click", groupBy: "campaign", windowHours: 24 },
      [{ platform: "meta", key: "Brand", aliases: ["111"], totals: T({ spend: 60 }) }],
      0,
    );
    const moved = new Set<string>();
    const c = (campaign: string | null, platform = "meta") => ({
      platform,
      campaign,
      ad: null,
      time: 0,
      credit: 1,
    });
    for (const k of t.add([c("111")], 1, 10)) moved.add(k);
    for (const k of t.add([c(" brand ")], 1, 20)) moved.add(k);
    for (const k of t.add([c("Brand", "google")], 1, 5)) moved.add(k);
    for (const k of t.add([c(null)], 1, 1)) moved.add(k);
    const rows = [...t.entries.values()].map((e) => [
      e.platform,
      e.key,
      e.totals.conversions,
      e.totals.value,
    ]);
    expect(rows).toEqual([
      ["meta", "Brand", 2, 30],
      ["google", "Brand", 1, 5],
      ["meta", "(none)", 1, 1],
    ]);
    expect(moved.size).toBe(3);
  });
});
