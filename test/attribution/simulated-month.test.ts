/**
 * A simulated month end to end: ~300 people click ads of 3 platforms × 3 campaigns over the
 * last 25 days (POST /v1/clicks), some of them buy in the last 6 days (POST /v1/events), and
 * Tally's conversions and reports must match totals computed here, independently — a plain
 * last_click / first_click / linear written for this test, not src/attribution.
 *
 * People are known in three ways, so identity is part of the run: by anonymous_id on both
 * sides; by email (clicks and purchases on different devices); and by a click id on the
 * clicks and an external_id on the purchases, joined by a login PageView.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { conversions, importTouches, report, type Model, type Ws } from "./attribution-api.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

/** mulberry32: a small seeded PRNG, so every run simulates the same month. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLATFORMS = ["google", "meta", "tiktok"] as const;
const CLICK_ID_OF = { google: "gclid", meta: "fbclid", tiktok: "ttclid" } as const;
const DAY_MS = 86_400_000;
const USERS = 300;

interface Click {
  time: number; // ms
  platform: string;
  campaign: string;
}
interface Purchase {
  user: number;
  time: number; // ms
  value: number;
  id?: string;
}
interface Credit {
  platform: string;
  campaign: string;
  time: number;
  credit: number;
}

const random = prng(20261129);
const NOW = nowSeconds() * 1000;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

// ---- the month ---------------------------------------------------------------------------
const clicksOf = new Map<number, Click[]>();
const purchases: Purchase[] = [];
for (let u = 0; u < USERS; u++) {
  const n = Math.floor(random() * 5); // 0–4 clicks; a fifth of the people never click
  const list: Click[] = [];
  const used = new Set<number>();
  for (let k = 0; k < n; k++) {
    let time: number;
    do time = NOW - Math.floor(random() * 25 * DAY_MS) - 60_000;
    while (used.has(time));
    used.add(time);
    const platform = pick(PLATFORMS);
    list.push({ time, platform, campaign: `${platform}-c${1 + Math.floor(random() * 3)}` });
  }
  clicksOf.set(u, list);
  if (random() < 0.45) {
    const buys = random() < 0.25 ? 2 : 1;
    for (let b = 0; b < buys; b++) {
      purchases.push({
        user: u,
        time: NOW - Math.floor(random() * 6 * DAY_MS) - 120_000,
        value: Math.round(random() * 19_000 + 1_000) / 100,
      });
    }
  }
}

// ---- an independent attribution ------------------------------------------------------------
function expectedCredits(p: Purchase, model: Exclude<Model, "time_decay" | "position_based">): Credit[] {
  const eligible = clicksOf
    .get(p.user)!
    .filter((c) => c.time <= p.time && c.time >= p.time - 30 * DAY_MS)
    .sort((a, b) => a.time - b.time);
  if (eligible.length === 0) return [];
  if (model === "last_click") return [{ ...eligible[eligible.length - 1]!, credit: 1 }];
  if (model === "first_click") return [{ ...eligible[0]!, credit: 1 }];
  return eligible.map((c) => ({ ...c, credit: 1 / eligible.length }));
}

function expectedReport(
  model: Exclude<Model, "time_decay" | "position_based">,
  by: "platform" | "campaign",
  from = -Infinity,
  to = Infinity,
) {
  const rows = new Map<string, { conversions: number; value: number }>();
  const unattributed = { conversions: 0, value: 0 };
  for (const p of purchases.filter((x) => x.time >= from && x.time < to)) {
    const credits = expectedCredits(p, model);
    if (credits.length === 0) {
      unattributed.conversions += 1;
      unattributed.value += p.value;
    }
    for (const c of credits) {
      const row = rows.get(c[by]) ?? { conversions: 0, value: 0 };
      row.conversions += c.credit;
      row.value += c.credit * p.value;
      rows.set(c[by], row);
    }
  }
  return { rows, unattributed };
}

// ---- who is who on each side ---------------------------------------------------------------
const mode = (u: number): "anonymous" | "email" | "login" =>
  (["anonymous", "email", "login"] as const)[u % 3]!;

function clickIdentity(u: number, c: Click, k: number): Record<string, string> {
  switch (mode(u)) {
    case "anonymous":
      return { anonymous_id: `anon-${u}` };
    case "email":
      return { email: `Person.${u}@Example.com` };
    case "login":
      return {
        [CLICK_ID_OF[c.platform as (typeof PLATFORMS)[number]]]: `click-${u}-${k}`,
        anonymous_id: `laptop-${u}`,
      };
  }
}

function purchaseIdentity(u: number): Record<string, string> {
  switch (mode(u)) {
    case "anonymous":
      return { anonymous_id: `anon-${u}` };
    case "email":
      return { email: ` person.${u}@example.com`, anonymous_id: `phone-${u}` };
    case "login":
      return { external_id: `customer-${u}`, anonymous_id: `phone-${u}` };
  }
}

let tally: Tally;
let ws: Ws;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Simulated month");
  const touches: Record<string, unknown>[] = [];
  for (const [u, list] of clicksOf) {
    list.forEach((c, k) =>
      touches.push({
        time: new Date(c.time).toISOString(),
        platform: c.platform,
        campaign: c.campaign,
        ...clickIdentity(u, c, k),
      }),
    );
  }
  await importTouches(ws, "clicks", touches);
  // The "login" people sign in on their laptop once, before anything is bought.
  const logins = [...clicksOf.keys()]
    .filter((u) => mode(u) === "login")
    .map((u) => ({
      event_name: "PageView",
      event_time: Math.floor(NOW / 1000) - 6 * 86_400 - 3600,
      user_data: { anonymous_id: `laptop-${u}`, external_id: `customer-${u}` },
    }));
  for (let i = 0; i < logins.length; i += 500)
    expect((await ws.api("POST", "/v1/events", { data: logins.slice(i, i + 500) })).body.rejected).toBe(0);
  // Purchases in batches of 50, in no particular order.
  for (let i = 0; i < purchases.length; i += 50) {
    const chunk = purchases.slice(i, i + 50);
    const res = await ws.api("POST", "/v1/events", {
      data: chunk.map((p) => ({
        event_name: "Purchase",
        event_time: new Date(p.time).toISOString(),
        user_data: purchaseIdentity(p.user),
        custom_data: { value: p.value, currency: "USD" },
      })),
    });
    expect(res.body.accepted).toBe(chunk.length);
    chunk.forEach((p, k) => (p.id = res.body.results[k].id));
  }
}, 120_000);
afterAll(async () => {
  await tally?.cleanup();
});

describe("a simulated month", () => {
  it("has the shape it claims (so the checks below mean something)", () => {
    const clicks = [...clicksOf.values()].flat();
    expect(clicks.length).toBeGreaterThan(450);
    expect(new Set(clicks.map((c) => c.campaign)).size).toBe(9);
    expect(purchases.length).toBeGreaterThan(100);
    const attributed = purchases.filter((p) => expectedCredits(p, "last_click").length > 0).length;
    expect(attributed).toBeGreaterThan(30);
    expect(purchases.length - attributed).toBeGreaterThan(10);
    // Some people clicked after buying: those clicks must not count.
    expect(purchases.some((p) => clicksOf.get(p.user)!.some((c) => c.time > p.time))).toBe(true);
  });

  it.each(["last_click", "first_click", "linear"] as const)(
    "%s: every conversion's touches in GET /v1/conversions",
    async (model) => {
      const got = await conversions(ws, model);
      expect(got.size).toBe(purchases.length);
      for (const p of purchases) {
        const c = got.get(p.id!)!;
        expect(c.value).toBe(p.value);
        const expected = expectedCredits(p, model);
        expect(
          c.touches.map((t) => [t.platform, t.campaign, t.time, t.credit]),
          `purchase of person ${p.user} (${mode(p.user)})`,
        ).toEqual(
          expected.map((e) => [
            e.platform,
            e.campaign,
            new Date(e.time).toISOString(),
            expect.closeTo(e.credit, 9),
          ]),
        );
      }
    },
  );

  it.each([
    ["last_click", "platform"],
    ["last_click", "campaign"],
    ["first_click", "platform"],
    ["first_click", "campaign"],
    ["linear", "platform"],
    ["linear", "campaign"],
  ] as const)("%s by %s: GET /v1/reports/attribution matches the independent totals", async (model, by) => {
    const expected = expectedReport(model, by);
    const got = await report(ws, model, by);
    expect(got.rows.map((r) => r.key).sort()).toEqual([...expected.rows.keys()].sort());
    for (const r of got.rows) {
      expect(r.conversions, r.key).toBeCloseTo(expected.rows.get(r.key)!.conversions, 4);
      expect(r.value, r.key).toBeCloseTo(expected.rows.get(r.key)!.value, 2);
    }
    expect(got.unattributed.conversions).toBe(expected.unattributed.conversions);
    expect(got.unattributed.value).toBeCloseTo(expected.unattributed.value, 2);
  });

  it("a from/to range counts the conversions whose event_time is in it (from inclusive, to exclusive)", async () => {
    const from = NOW - 3 * DAY_MS;
    const to = NOW - DAY_MS;
    const expected = expectedReport("linear", "platform", from, to);
    const got = await report(
      ws,
      "linear",
      "platform",
      `&from=${from / 1000}&to=${encodeURIComponent(new Date(to).toISOString())}`,
    );
    const total = (rows: Iterable<{ conversions: number }>) =>
      [...rows].reduce((s, r) => s + r.conversions, 0);
    expect(total(got.rows) + got.unattributed.conversions).toBeCloseTo(
      total(expected.rows.values()) + expected.unattributed.conversions,
      4,
    );
    for (const r of got.rows) expect(r.value, r.key).toBeCloseTo(expected.rows.get(r.key)!.value, 2);
    expect(got.unattributed.conversions).toBe(expected.unattributed.conversions);
  });

  it.each(["time_decay", "position_based"] as const)(
    "%s: credits of every conversion sum to 1 and the report adds up to the attributed count",
    async (model) => {
      const got = await conversions(ws, model);
      let attributed = 0;
      for (const p of purchases) {
        const touches = got.get(p.id!)!.touches;
        const n = expectedCredits(p, "linear").length;
        expect(touches.length > 0, `person ${p.user}`).toBe(n > 0);
        if (n > 0) {
          attributed++;
          expect(touches.reduce((s, t) => s + t.credit, 0)).toBeCloseTo(1, 9);
        }
      }
      const rep = await report(ws, model, "campaign");
      expect(rep.rows.reduce((s, r) => s + r.conversions, 0)).toBeCloseTo(attributed, 4);
      expect(rep.unattributed.conversions).toBe(purchases.length - attributed);
    },
  );
});
