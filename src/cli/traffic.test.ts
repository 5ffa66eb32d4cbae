import { describe, expect, it } from "vitest";
import { Rng } from "./prng.js";
import { backfillTiming, LIVE_TIMING, planUser, type PlanContext, type Send } from "./traffic.js";

const NOW = Date.UTC(2026, 2, 15, 12);
const DAY = 86_400_000;
const backfill = (days: number): PlanContext => ({
  now: NOW,
  timing: backfillTiming(days),
  oldestEvent: NOW - 7 * DAY + 1_800_000,
  future: "drop",
  runTag: "t",
});

function plan(seed: number, users: number, ctx: PlanContext) {
  const rng = new Rng(seed);
  const sends: Send[] = [];
  let tooOld = 0;
  let notYet = 0;
  for (let i = 0; i < users; i++) {
    const p = planUser(rng, i, ctx);
    sends.push(...p.sends);
    tooOld += p.tooOld;
    notYet += p.notYet;
  }
  return { sends, tooOld, notYet };
}

const timeOf = (s: Send) => Date.parse(String(s.body.event_time ?? s.body.time));

describe("Rng", () => {
  it("repeats with the seed and differs without it", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it("draws log-normal values around the median", () => {
    const r = new Rng(1);
    const xs = Array.from({ length: 20_001 }, () => r.logNormal(100, 1)).sort((p, q) => p - q);
    expect(xs[10_000]).toBeGreaterThan(90);
    expect(xs[10_000]).toBeLessThan(110);
  });
});

describe("planUser", () => {
  it("plans the same traffic for the same seed", () => {
    expect(plan(7, 200, backfill(30))).toEqual(plan(7, 200, backfill(30)));
    expect(plan(8, 200, backfill(30)).sends).not.toEqual(plan(7, 200, backfill(30)).sends);
  });

  it("keeps a backfill inside the API's limits: events at most 7 days old, nothing after now", () => {
    const p = plan(3, 2000, backfill(30));
    expect(p.tooOld).toBeGreaterThan(0);
    expect(p.notYet).toBeGreaterThan(0);
    for (const s of p.sends) {
      expect(timeOf(s)).toBeLessThanOrEqual(NOW);
      if (s.endpoint === "events" || s.endpoint === "collect")
        expect(timeOf(s)).toBeGreaterThanOrEqual(NOW - 7 * DAY);
      else expect(timeOf(s)).toBeGreaterThanOrEqual(NOW - 30 * DAY);
    }
    // Clicks older than the event limit are imported with the visitor, not sent as PageViews.
    const oldClicks = p.sends.filter((s) => s.kind === "click" && timeOf(s) < NOW - 7 * DAY);
    expect(oldClicks.length).toBeGreaterThan(0);
    for (const s of oldClicks) expect(s.body.anonymous_id).toEqual(expect.any(String));
  });

  it("plans every kind of traffic, in phases that put touches and logins before conversions", () => {
    const p = plan(5, 2000, backfill(7));
    const kinds = new Set(p.sends.map((s) => s.kind));
    expect([...kinds].sort()).toEqual([
      "bad",
      "click",
      "conversion",
      "copy",
      "impression",
      "landing",
      "login",
    ]);
    const phase = Object.fromEntries(p.sends.map((s) => [s.kind, s.phase]));
    expect(phase).toEqual({ click: 0, impression: 0, landing: 0, login: 1, copy: 2, conversion: 3, bad: 3 });
    // A browser copy repeats a conversion's event_id; platforms are all five.
    const ids = new Set(p.sends.filter((s) => s.kind === "conversion").map((s) => s.body.event_id));
    for (const s of p.sends.filter((x) => x.kind === "copy")) expect(ids.has(s.body.event_id)).toBe(true);
    const platforms = new Set(
      p.sends.filter((s) => s.endpoint !== "collect" && s.endpoint !== "events").map((s) => s.body.platform),
    );
    expect([...platforms].sort()).toEqual(["google", "linkedin", "meta", "microsoft", "tiktok"]);
    // Purchases carry a value and a currency, unless broken on purpose.
    for (const s of p.sends.filter((x) => x.kind === "conversion" && x.body.event_name === "Purchase")) {
      expect(s.body.custom_data).toMatchObject({
        value: expect.any(Number),
        currency: expect.stringMatching(/^(USD|EUR)$/),
      });
    }
  });

  it("plans a live user's future for later instead of dropping it", () => {
    const rng = new Rng(9);
    const ctx: PlanContext = {
      now: NOW,
      timing: LIVE_TIMING,
      oldestEvent: NOW - 7 * DAY,
      future: "plan",
      runTag: "t",
    };
    let later = 0;
    for (let i = 0; i < 300; i++) {
      const p = planUser(rng, i, ctx);
      expect(p.notYet).toBe(0);
      later += p.sends.filter((s) => s.at > NOW).length;
      for (const s of p.sends) expect(s.at).toBeLessThan(NOW + DAY);
    }
    expect(later).toBeGreaterThan(0);
  });
});
