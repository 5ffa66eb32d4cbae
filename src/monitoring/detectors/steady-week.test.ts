/**
 * A steady synthetic week (Poisson traffic with a daily cycle, two sources, two event names,
 * stable fields and values) replayed through the detectors with their default settings, judged
 * every minute. The false alerts (conditions that start) are counted and printed per seed and
 * in total. Set STEADY_SEEDS=1,2,… to replay other weeks (then nothing is asserted) and
 * STEADY_DEBUG=1 to print each false alert's details.
 */
import { describe, expect, it } from "vitest";
import { DAY_MS, MINUTE_MS } from "../../domain/time.js";
import { DEFAULT_SETTINGS } from "../alert-settings.js";
import { SeriesBook } from "../series-book.js";
import { fieldKey, nameKey, SLOT_MS, sourceKey, totalKey, valueBucket, valueKey } from "../series.js";
import { detectSeries } from "./index.js";

/** Mulberry32: a small seeded generator, so the week is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(mean: number, rand: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss(rand)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function replayWeek(seed: number): { alerts: number; kinds: Record<string, number> } {
  const rand = prng(seed);
  const start = Date.UTC(2026, 0, 5);
  const book = new SeriesBook(8 * 3600_000);
  const ws = "ws_steady";
  let alerts = 0;
  const kinds: Record<string, number> = {};
  let holding = new Set<string>();
  for (let t = start; t < start + 7 * DAY_MS; t += SLOT_MS) {
    // 0.2–1.0 events a second, peaking mid-afternoon.
    const rate = 0.6 + 0.4 * Math.sin((2 * Math.PI * (t - start - 9 * 3600_000)) / DAY_MS);
    const rows: { workspaceId: string; start: number; key: string; count: number }[] = [];
    const add = (key: string, count: number) =>
      count > 0 && rows.push({ workspaceId: ws, start: t, key, count });
    const server = poisson(rate * 6, rand);
    const browser = poisson(rate * 4, rand);
    const purchases = Math.round((server + browser) * 0.2);
    const views = server + browser - purchases;
    add(totalKey("received"), server + browser);
    add(totalKey("accepted"), server + browser);
    add(sourceKey("server"), server);
    add(sourceKey("browser"), browser);
    add(nameKey("Purchase"), purchases);
    add(nameKey("PageView"), views);
    add(fieldKey("Purchase", "value"), purchases);
    add(fieldKey("Purchase", "user_data.email"), purchases);
    add(fieldKey("PageView", "event_source_url"), views);
    for (let i = 0; i < purchases; i++) add(valueKey("Purchase", valueBucket(20 + rand() * 180)!), 1);
    book.load(rows, start);
    if ((t + SLOT_MS) % MINUTE_MS !== 0) continue;
    const end = t + SLOT_MS;
    const now = new Set<string>();
    for (const c of detectSeries(book.view(ws, end), DEFAULT_SETTINGS)) {
      const k = `${c.kind}|${c.subject}`;
      now.add(k);
      if (holding.has(k)) continue;
      alerts++;
      if (process.env.STEADY_DEBUG)
        console.log(seed, new Date(end).toISOString(), c.kind, c.subject, JSON.stringify(c.details));
      kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    }
    holding = now;
    book.prune(end - 8 * 3600_000);
  }
  return { alerts, kinds };
}

describe("a steady week through the detectors", () => {
  // Eight seeded weeks of 10-second slots (STEADY_SEEDS=1,2,… for others): seconds of CPU each.
  it("raises nothing", { timeout: 900_000 }, () => {
    const seeds = process.env.STEADY_SEEDS
      ? process.env.STEADY_SEEDS.split(",").map(Number)
      : [17, 18, 19, 20, 21, 22, 23, 24];
    const results = seeds.map(replayWeek);
    for (const [i, r] of results.entries())
      console.log(
        `steady synthetic week (seed ${seeds[i]}), default settings: ${r.alerts} false alerts ${JSON.stringify(r.kinds)}`,
      );
    const total = results.reduce((n, r) => n + r.alerts, 0);
    console.log(`steady synthetic weeks: ${total} false alerts in ${seeds.length} weeks`);
    // A volume change short of gross (a fall to ≤ 10%, a rise to ≥ 5×) is held to the level of
    // one day of the workspace's tests (α = 0.001 a day, Šidák over series, tails and 10-s
    // placements) against the baseline trend's own uncertainty (negative binomial): a false
    // alert about once in three years. Seeds 1–40 give 0 (was 3 of 40 weeks with one).
    if (!process.env.STEADY_SEEDS) expect(total).toBe(0);
  });
});
