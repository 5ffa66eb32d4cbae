import { describe, expect, it } from "vitest";
import { aggregateReport, isGroupBy, type AttributedConversion, type GroupBy } from "./report.js";

type C = AttributedConversion["credits"][number];
const g = (credit: number, campaign: string | null = "brand", ad: string | null = null): C => ({
  platform: "google",
  campaign,
  ad,
  credit,
});
const m = (credit: number, campaign: string | null = "spring", ad: string | null = "video-1"): C => ({
  platform: "meta",
  campaign,
  ad,
  credit,
});
const none = { conversions: 0, value: 0 };

describe("aggregateReport", () => {
  const cases: {
    name: string;
    rows: AttributedConversion[];
    groupBy: GroupBy;
    currency?: string;
    expected: ReturnType<typeof aggregateReport>;
  }[] = [
    {
      name: "no conversions",
      rows: [],
      groupBy: "platform",
      expected: { rows: [], unattributed: none, other_currencies: {} },
    },
    {
      name: "last click by platform",
      rows: [
        { value: 100, credits: [g(1)] },
        { value: 50, credits: [m(1)] },
        { value: 20, credits: [g(1)] },
      ],
      groupBy: "platform",
      expected: {
        rows: [
          { key: "google", conversions: 2, value: 120 },
          { key: "meta", conversions: 1, value: 50 },
        ],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "split credit: conversions are sums of credit, value is credit × value",
      rows: [{ value: 120, credits: [m(0.4), g(0.2), g(0.4)] }],
      groupBy: "platform",
      expected: {
        rows: [
          { key: "google", conversions: 0.6, value: 72 },
          { key: "meta", conversions: 0.4, value: 48 },
        ],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "float noise is rounded to 6 decimals",
      rows: Array.from({ length: 3 }, () => ({ value: 0.1, credits: [g(0.1)] })),
      groupBy: "platform",
      expected: {
        rows: [{ key: "google", conversions: 0.3, value: 0.03 }],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "ties in conversions sorted by key",
      rows: [
        { value: 1, credits: [g(0.5, "b"), g(0.5, "a")] },
        { value: 1, credits: [g(1, "c")] },
      ],
      groupBy: "campaign",
      expected: {
        rows: [
          { key: "c", conversions: 1, value: 1 },
          { key: "a", conversions: 0.5, value: 0.5 },
          { key: "b", conversions: 0.5, value: 0.5 },
        ],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "no campaign or ad → (none)",
      rows: [{ value: 10, credits: [g(0.5, null, null), m(0.5, "spring", null)] }],
      groupBy: "ad",
      expected: {
        rows: [{ key: "(none)", conversions: 1, value: 10 }],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "by campaign",
      rows: [{ value: 10, credits: [g(0.5, null), m(0.5)] }],
      groupBy: "campaign",
      expected: {
        rows: [
          { key: "(none)", conversions: 0.5, value: 5 },
          { key: "spring", conversions: 0.5, value: 5 },
        ],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "a conversion without credits is unattributed",
      rows: [
        { value: 30, credits: [] },
        { value: null, credits: [] },
        { value: 5, credits: [m(1)] },
      ],
      groupBy: "platform",
      expected: {
        rows: [{ key: "meta", conversions: 1, value: 5 }],
        unattributed: { conversions: 2, value: 30 },
        other_currencies: {},
      },
    },
    {
      name: "a null value counts as a conversion with no value",
      rows: [{ value: null, credits: [g(1)] }],
      groupBy: "platform",
      expected: {
        rows: [{ key: "google", conversions: 1, value: 0 }],
        unattributed: none,
        other_currencies: {},
      },
    },
    {
      name: "other currencies: counted as conversions, their value set aside per currency",
      rows: [
        { value: 100, currency: "USD", credits: [g(1)] },
        { value: 80, currency: "EUR", credits: [g(0.5), m(0.5)] },
        { value: 20, currency: "eur", credits: [] },
        { value: 7, currency: null, credits: [m(1)] },
        { value: 1000, currency: "JPY", credits: [m(1)] },
      ],
      groupBy: "platform",
      currency: "USD",
      expected: {
        rows: [
          { key: "meta", conversions: 2.5, value: 7 },
          { key: "google", conversions: 1.5, value: 100 },
        ],
        unattributed: { conversions: 1, value: 0 },
        other_currencies: { EUR: { conversions: 2, value: 100 }, JPY: { conversions: 1, value: 1000 } },
      },
    },
    {
      name: "without a workspace currency every value is summed",
      rows: [
        { value: 100, currency: "USD", credits: [g(1)] },
        { value: 80, currency: "EUR", credits: [g(1)] },
      ],
      groupBy: "platform",
      expected: {
        rows: [{ key: "google", conversions: 2, value: 180 }],
        unattributed: none,
        other_currencies: {},
      },
    },
  ];
  it.each(cases)("$name", ({ rows, groupBy, currency, expected }) => {
    expect(aggregateReport(rows, groupBy, currency === undefined ? {} : { currency })).toEqual(expected);
  });

  it("accepts any iterable, such as a generator over a cursor", () => {
    function* rows(): Generator<AttributedConversion> {
      yield { value: 1, credits: [g(1)] };
      yield { value: 2, credits: [g(1)] };
    }
    expect(aggregateReport(rows(), "platform").rows).toEqual([{ key: "google", conversions: 2, value: 3 }]);
  });

  const bad: { name: string; rows: AttributedConversion[]; expected: ReturnType<typeof aggregateReport> }[] =
    [
      {
        name: "zero, negative and NaN credits are skipped; nothing left → unattributed",
        rows: [{ value: 10, credits: [g(0), m(-1), g(Number.NaN), m(Infinity)] }],
        expected: { rows: [], unattributed: { conversions: 1, value: 10 }, other_currencies: {} },
      },
      {
        name: "a NaN or infinite value counts as no value",
        rows: [
          { value: Number.NaN, credits: [g(1)] },
          { value: Infinity, credits: [] },
        ],
        expected: {
          rows: [{ key: "google", conversions: 1, value: 0 }],
          unattributed: { conversions: 1, value: 0 },
          other_currencies: {},
        },
      },
      {
        name: "a credit too small to show after rounding gives no row",
        rows: [{ value: 10, credits: [g(1 - 1e-9), m(1e-9)] }],
        expected: {
          rows: [{ key: "google", conversions: 1, value: 10 }],
          unattributed: none,
          other_currencies: {},
        },
      },
      {
        name: "an empty platform is (none)",
        rows: [{ value: 1, credits: [{ platform: "", campaign: null, ad: null, credit: 1 }] }],
        expected: {
          rows: [{ key: "(none)", conversions: 1, value: 1 }],
          unattributed: none,
          other_currencies: {},
        },
      },
      {
        name: "negative values (refunds) subtract",
        rows: [
          { value: 10, credits: [g(1)] },
          { value: -4, credits: [g(1)] },
        ],
        expected: {
          rows: [{ key: "google", conversions: 2, value: 6 }],
          unattributed: none,
          other_currencies: {},
        },
      },
    ];
  it.each(bad)("bad input: $name", ({ rows, expected }) => {
    expect(aggregateReport(rows, "platform")).toEqual(expected);
  });

  it("never reports -0", () => {
    const report = aggregateReport(
      [
        { value: -1e-9, credits: [g(1)] },
        { value: -1e-9, credits: [] },
      ],
      "platform",
    );
    expect(Object.is(report.rows[0]!.value, 0)).toBe(true);
    expect(Object.is(report.unattributed.value, 0)).toBe(true);
  });
});

describe("isGroupBy", () => {
  it.each([["platform"], ["campaign"], ["ad"]])("accepts %s", (s) => expect(isGroupBy(s)).toBe(true));
  it.each([["Platform"], ["source"], [""], [null], [3]])("rejects %j", (s) =>
    expect(isGroupBy(s)).toBe(false),
  );
});
