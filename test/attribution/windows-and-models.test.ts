/**
 * Attribution over HTTP: the look-back windows to the second (the default 30-day click window,
 * and a custom action with a 1-day click / half-day view window set through
 * PUT /v1/conversion-actions), view-through only when no click is eligible, per-action
 * windows, and all five models in GET /v1/conversions and the report.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import {
  convert,
  DAY,
  HOUR,
  importTouches,
  iso,
  MODELS,
  report,
  touchesOf,
  type Model,
  type Ws,
} from "./attribution-api.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

let tally: Tally;
let ws: Ws;
/** The conversion time of every scenario: an hour ago, inside the 7-day event limit. */
const C = nowSeconds() - HOUR;
let person = 0;
const visitor = () => `visitor-${++person}`;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Windows");
  const short = await ws.api("PUT", "/v1/conversion-actions/ShortWindow", {
    click_window_days: 1,
    view_window_days: 0.5,
  });
  expect(short.body).toEqual({
    name: "ShortWindow",
    required: [],
    click_window_days: 1,
    view_window_days: 0.5,
  });
});
afterAll(async () => {
  await tally?.cleanup();
});

const purchase = (who: string, extra: Record<string, unknown> = {}) => ({
  event_name: "Purchase",
  event_time: C,
  user_data: { anonymous_id: who },
  custom_data: { value: 100, currency: "USD" },
  ...extra,
});
const short = (who: string) => ({
  event_name: "ShortWindow",
  event_time: C,
  user_data: { anonymous_id: who },
});
const click = (who: string, time: number, campaign: string, platform = "google") => ({
  time,
  platform,
  campaign,
  anonymous_id: who,
});

describe("window edges, to the second", () => {
  const cases: {
    name: string;
    kind: "clicks" | "impressions";
    offset: number;
    event: (who: string) => Record<string, unknown>;
    attributed: boolean;
  }[] = [
    {
      name: "a click exactly 30 days before a Purchase",
      kind: "clicks",
      offset: 30 * DAY,
      event: purchase,
      attributed: true,
    },
    {
      name: "a click 30 days and 1 second before a Purchase",
      kind: "clicks",
      offset: 30 * DAY + 1,
      event: purchase,
      attributed: false,
    },
    {
      name: "a click at the Purchase's very second",
      kind: "clicks",
      offset: 0,
      event: purchase,
      attributed: true,
    },
    {
      name: "a click 1 second after the Purchase",
      kind: "clicks",
      offset: -1,
      event: purchase,
      attributed: false,
    },
    {
      name: "an impression exactly 1 day before a Purchase",
      kind: "impressions",
      offset: DAY,
      event: purchase,
      attributed: true,
    },
    {
      name: "an impression 1 day and 1 second before a Purchase",
      kind: "impressions",
      offset: DAY + 1,
      event: purchase,
      attributed: false,
    },
    {
      name: "a click exactly 1 day before ShortWindow",
      kind: "clicks",
      offset: DAY,
      event: short,
      attributed: true,
    },
    {
      name: "a click 1 day and 1 second before ShortWindow",
      kind: "clicks",
      offset: DAY + 1,
      event: short,
      attributed: false,
    },
    {
      name: "an impression exactly 12 hours before ShortWindow",
      kind: "impressions",
      offset: 12 * HOUR,
      event: short,
      attributed: true,
    },
    {
      name: "an impression 12 hours and 1 second before ShortWindow",
      kind: "impressions",
      offset: 12 * HOUR + 1,
      event: short,
      attributed: false,
    },
  ];

  it.each(cases)("$name → attributed: $attributed", async ({ kind, offset, event, attributed }) => {
    const who = visitor();
    await importTouches(ws, kind, [click(who, C - offset, `edge-${offset}`)]);
    const id = await convert(ws, event(who));
    const touches = await touchesOf(ws, id);
    if (attributed)
      expect(touches).toEqual([
        { platform: "google", campaign: `edge-${offset}`, ad: null, time: iso(C - offset), credit: 1 },
      ]);
    else expect(touches).toEqual([]);
  });
});

describe("clicks over impressions", () => {
  it("view-through counts only when no click is eligible", async () => {
    const who = visitor();
    await importTouches(ws, "impressions", [click(who, C - HOUR, "seen", "meta")]);
    await importTouches(ws, "clicks", [click(who, C - 2 * DAY, "clicked-too-long-ago")]);
    // ShortWindow: the click is outside its 1-day window, so the impression takes the credit.
    const viaView = await convert(ws, short(who));
    expect((await touchesOf(ws, viaView)).map((t) => t.campaign)).toEqual(["seen"]);
    // Purchase: the same click is inside 30 days, so the (newer) impression is ignored.
    const viaClick = await convert(ws, purchase(who));
    for (const model of MODELS)
      expect(
        (await touchesOf(ws, viaClick, model)).map((t) => t.campaign),
        model,
      ).toEqual(["clicked-too-long-ago"]);
  });

  it("several impressions share the credit like clicks would when there is no click", async () => {
    const who = visitor();
    await importTouches(ws, "impressions", [
      click(who, C - 6 * HOUR, "view-a", "meta"),
      click(who, C - 2 * HOUR, "view-b", "tiktok"),
    ]);
    const id = await convert(ws, purchase(who));
    expect((await touchesOf(ws, id, "linear")).map((t) => [t.campaign, t.credit])).toEqual([
      ["view-a", 0.5],
      ["view-b", 0.5],
    ]);
    expect((await touchesOf(ws, id, "last_click")).map((t) => t.campaign)).toEqual(["view-b"]);
  });
});

describe("per-action windows", () => {
  it("one click two days old credits Purchase (30 days) but not ShortWindow (1 day)", async () => {
    const who = visitor();
    await importTouches(ws, "clicks", [click(who, C - 2 * DAY, "two-days")]);
    expect(await touchesOf(ws, await convert(ws, purchase(who)))).toHaveLength(1);
    expect(await touchesOf(ws, await convert(ws, short(who)))).toEqual([]);
  });

  it("a window changed with PUT applies to conversions from then on", async () => {
    const other = await createWorkspace(tally.url, ADMIN_TOKEN, "Window change");
    const who = visitor();
    await importTouches(other, "clicks", [click(who, C - 3 * DAY, "three-days")]);
    expect(
      await touchesOf(
        other,
        await convert(other, { event_name: "Lead", event_time: C, user_data: { anonymous_id: who } }),
      ),
    ).toHaveLength(1);
    expect((await other.api("PUT", "/v1/conversion-actions/Lead", { click_window_days: 2 })).status).toBe(
      200,
    );
    expect(
      await touchesOf(
        other,
        await convert(other, { event_name: "Lead", event_time: C + 1, user_data: { anonymous_id: who } }),
      ),
    ).toEqual([]);
  });
});

describe("the five models", () => {
  // Three clicks a week apart on three platforms, and an impression the clicks hide.
  let modelWs: Ws;
  let three: string;
  let four: string;
  let two: string;
  let tie: string;
  const A = "model-a";
  beforeAll(async () => {
    modelWs = await createWorkspace(tally.url, ADMIN_TOKEN, "Models");
    await importTouches(modelWs, "impressions", [
      { time: C - HOUR, platform: "linkedin", campaign: "ignored", anonymous_id: A },
    ]);
    await importTouches(modelWs, "clicks", [
      { time: C - 14 * DAY, platform: "meta", campaign: "m-camp", ad: "m-ad", anonymous_id: A },
      { time: C - 7 * DAY, platform: "google", campaign: "g-camp", ad: "g-ad", anonymous_id: A },
      { time: C, platform: "tiktok", campaign: "t-camp", anonymous_id: A },
    ]);
    three = await convert(modelWs, purchase(A, { custom_data: { value: 70, currency: "USD" } }));

    await importTouches(
      modelWs,
      "clicks",
      [1, 2, 3, 4].map((i) => ({
        time: C - (5 - i) * DAY,
        platform: `p${i}`,
        campaign: `c${i}`,
        anonymous_id: "model-b",
      })),
    );
    four = await convert(modelWs, purchase("model-b", { custom_data: { value: 10, currency: "USD" } }));

    await importTouches(
      modelWs,
      "clicks",
      [1, 2].map((i) => ({
        time: C - (3 - i) * DAY,
        platform: `q${i}`,
        campaign: `d${i}`,
        anonymous_id: "model-c",
      })),
    );
    two = await convert(modelWs, purchase("model-c", { custom_data: { value: 10, currency: "USD" } }));

    // Two clicks at the same second, in one import: arrival order breaks the tie.
    await importTouches(modelWs, "clicks", [
      { time: C - DAY, platform: "first-arrived", campaign: "tie", anonymous_id: "model-d" },
      { time: C - DAY, platform: "second-arrived", campaign: "tie", anonymous_id: "model-d" },
    ]);
    tie = await convert(modelWs, purchase("model-d", { custom_data: { value: 10, currency: "USD" } }));
  });

  const threeExpected: Record<Model, [string, number][]> = {
    last_click: [["tiktok", 1]],
    first_click: [["meta", 1]],
    linear: [
      ["meta", 1 / 3],
      ["google", 1 / 3],
      ["tiktok", 1 / 3],
    ],
    // ages 14, 7 and 0 days: weights 1/4, 1/2, 1.
    time_decay: [
      ["meta", 1 / 7],
      ["google", 2 / 7],
      ["tiktok", 4 / 7],
    ],
    position_based: [
      ["meta", 0.4],
      ["google", 0.2],
      ["tiktok", 0.4],
    ],
  };

  it.each(MODELS)("%s over three clicks in GET /v1/conversions?model=", async (model) => {
    const touches = await touchesOf(modelWs, three, model);
    expect(touches.map((t) => [t.platform, t.credit])).toEqual(
      threeExpected[model].map(([p, c]) => [p, expect.closeTo(c, 9)]),
    );
    expect(touches.reduce((s, t) => s + t.credit, 0)).toBeCloseTo(1, 12);
    // Each touch as it was recorded.
    const meta = touches.find((t) => t.platform === "meta");
    if (meta) expect(meta).toMatchObject({ campaign: "m-camp", ad: "m-ad", time: iso(C - 14 * DAY) });
  });

  it.each([
    { model: "position_based" as const, id: () => four, expected: [0.4, 0.1, 0.1, 0.4] },
    { model: "position_based" as const, id: () => two, expected: [0.5, 0.5] },
    { model: "linear" as const, id: () => four, expected: [0.25, 0.25, 0.25, 0.25] },
    {
      model: "time_decay" as const,
      id: () => two,
      expected: [1 / (1 + 2 ** (1 / 7)), 2 ** (1 / 7) / (1 + 2 ** (1 / 7))],
    },
  ])("$model shares $expected", async ({ model, id, expected }) => {
    const touches = await touchesOf(modelWs, id(), model);
    expect(touches.map((t) => t.credit)).toEqual(expected.map((e) => expect.closeTo(e, 9)));
  });

  it("touches at the same second are ordered by arrival", async () => {
    expect((await touchesOf(modelWs, tie, "last_click")).map((t) => t.platform)).toEqual(["second-arrived"]);
    expect((await touchesOf(modelWs, tie, "first_click")).map((t) => t.platform)).toEqual(["first-arrived"]);
  });

  it.each(MODELS)("%s in GET /v1/reports/attribution sums credit and credit × value", async (model) => {
    // Expected rows from the per-conversion shares above: the $70 purchase, and three $10 ones.
    const shares: [number, [string, number][]][] = [
      [70, threeExpected[model]],
      [10, credits4(model).map((c, i) => [`p${i + 1}`, c])],
      [10, credits2(model).map((c, i) => [`q${i + 1}`, c])],
      [
        10,
        model === "first_click"
          ? [["first-arrived", 1]]
          : model === "last_click"
            ? [["second-arrived", 1]]
            : [
                ["first-arrived", 0.5],
                ["second-arrived", 0.5],
              ],
      ],
    ];
    const expected = new Map<string, { conversions: number; value: number }>();
    for (const [value, list] of shares) {
      for (const [key, credit] of list) {
        if (credit === 0) continue;
        const row = expected.get(key) ?? { conversions: 0, value: 0 };
        row.conversions += credit;
        row.value += credit * value;
        expected.set(key, row);
      }
    }
    const rep = await report(modelWs, model, "platform");
    expect(rep.unattributed).toEqual({ conversions: 0, value: 0 });
    expect(rep.rows.map((r) => r.key).sort()).toEqual([...expected.keys()].sort());
    for (const r of rep.rows) {
      expect(r.conversions, r.key).toBeCloseTo(expected.get(r.key)!.conversions, 5);
      expect(r.value, r.key).toBeCloseTo(expected.get(r.key)!.value, 4);
      expect(r.conversions).toBeGreaterThan(0);
    }
    const total = rep.rows.reduce((s, r) => s + r.conversions, 0);
    expect(total).toBeCloseTo(4, 5);
  });

  it("group_by campaign and ad name the touch's campaign and ad; a missing one is reported as a key of its own", async () => {
    const byCampaign = await report(modelWs, "last_click", "campaign");
    expect(byCampaign.rows.map((r) => r.key).sort()).toEqual(["c4", "d2", "t-camp", "tie"].sort());
    const byAd = await report(modelWs, "first_click", "ad");
    expect(byAd.rows.find((r) => r.key === "m-ad")).toEqual({ key: "m-ad", conversions: 1, value: 70 });
    expect(byAd.rows.some((r) => r.key !== "m-ad")).toBe(true); // the ad-less first clicks
  });
});

/** position_based / linear / … over the four clicks one day apart (ages 4, 3, 2, 1 days). */
function credits4(model: Model): number[] {
  switch (model) {
    case "last_click":
      return [0, 0, 0, 1];
    case "first_click":
      return [1, 0, 0, 0];
    case "linear":
      return [0.25, 0.25, 0.25, 0.25];
    case "position_based":
      return [0.4, 0.1, 0.1, 0.4];
    case "time_decay": {
      const w = [4, 3, 2, 1].map((age) => 2 ** (-age / 7));
      const sum = w.reduce((s, x) => s + x, 0);
      return w.map((x) => x / sum);
    }
  }
}

/** The same over two clicks, 2 and 1 days old. */
function credits2(model: Model): number[] {
  switch (model) {
    case "last_click":
      return [0, 1];
    case "first_click":
      return [1, 0];
    case "linear":
    case "position_based":
      return [0.5, 0.5];
    case "time_decay": {
      const w = [2, 1].map((age) => 2 ** (-age / 7));
      return w.map((x) => x / (w[0]! + w[1]!));
    }
  }
}

describe("currencies in the report (docs/attribution.md)", () => {
  it("a conversion in another currency counts in conversions; its value only under other_currencies", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Currencies");
    await importTouches(shop, "clicks", [
      { time: C - DAY, platform: "google", campaign: "fx", anonymous_id: "fx-1" },
    ]);
    await convert(shop, {
      event_name: "Purchase",
      event_time: C,
      user_data: { anonymous_id: "fx-1" },
      custom_data: { value: 50, currency: "USD" },
    });
    await convert(shop, {
      event_name: "Purchase",
      event_time: C,
      user_data: { anonymous_id: "fx-1" },
      custom_data: { value: 40, currency: "eur" },
    });
    await convert(shop, {
      event_name: "Purchase",
      event_time: C,
      user_data: { anonymous_id: "nobody" },
      custom_data: { value: 7, currency: "EUR" },
    });
    const res = await shop.api("GET", "/v1/reports/attribution");
    expect(res.body.rows).toEqual([{ key: "google", conversions: 2, value: 50 }]);
    expect(res.body.unattributed).toEqual({ conversions: 1, value: 0 });
    expect(res.body.other_currencies).toEqual({ EUR: { conversions: 2, value: 47 } });
  });
});
