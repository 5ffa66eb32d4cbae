// The monitor's CPU with 1,000 workspaces: what one tick (every 5 s) costs — the read of the
// newest 10-second slots of every workspace, the series book, every detector with the default
// settings, the alert lifecycle, the destination check every 30 s — on a real SQLite store,
// on a simulated clock, after a warm-up that fills the book with the whole baseline.
//
//   node bench/monitoring.mjs              (npm run bench -- monitoring)
//   BENCH_QUICK=1 node bench/monitoring.mjs  fewer measured ticks
//
// Target: under 1% of one core: the process CPU time of all measured ticks over the simulated
// time they cover (ticks × 5 s) — a mean, since a tick between two slot completions does
// almost nothing and one that judges does it all.
// Baseline, same run and same data: the store read alone (`seriesSince` over the newest slots,
// as a monitor reading them on every tick would), so a busy machine moves both figures alike.
// Traffic: 10% busy workspaces (~5 events/s), 40% moderate (~0.5/s), 50% quiet (~1 an hour
// on average: mostly empty slots), each with Purchase and PageView from the server and
// browser sources, six fields and a value histogram per name. Steady (Poisson): the number
// of alerts fired is printed too (false positives; expected 0).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, median, quantile, table, verdict } from "./lib/stats.mjs";

const imp = (p) => import(join(ROOT, "dist/src", p));
const { SqliteStore } = await imp("storage/sqlite/sqlite-store.js");
const { SQLITE_WRITER_ENTRY } = await imp("open-store.js");
const { createMonitor } = await imp("monitoring/monitor.js");
const { Bus } = await imp("bus.js");
const { standardActions } = await imp("domain/workspace.js");

const WORKSPACES = 1000;
const TICK_MS = 5000;
const SLOT_MS = 10_000;
/** Warm-up history: the default volume baseline (3600 s) + window (300 s) + a margin. */
const HISTORY_MS = 70 * 60_000;
const MEASURED_TICKS = QUICK ? 60 : 240;
const TARGET_PERCENT = 1;

/** mulberry32: a seeded PRNG, so every run sees the same traffic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20261207);
/** Poisson by inversion (small means) or a normal approximation (large ones). */
function poisson(mean) {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}
function gauss() {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

printMachine("monitoring: detectors' CPU with 1,000 workspaces");
const dir = mkdtempSync(join(tmpdir(), "tally-bench-monitoring-"));
const path = join(dir, "tally.db");
const store = new SqliteStore({
  path,
  synchronous: "normal",
  dedupWindowMs: 7 * 86_400_000,
  maxGroupWeight: 5000,
  writer: SQLITE_WRITER_ENTRY,
});
await store.init();

const workspaces = [];
for (let i = 0; i < WORKSPACES; i++) {
  const tag = `${i.toString(36).padStart(4, "0")}${"b".repeat(12)}`;
  const ws = await store.createWorkspace(
    { name: `Shop ${i}`, currency: "USD", timezone: "UTC" },
    { publicKey: `pk_${tag}`, secretKeyHash: `${tag}${"0".repeat(48)}` },
    standardActions(),
  );
  const kind = i % 10 === 0 ? "busy" : i % 10 < 5 ? "moderate" : "quiet";
  const perSecond = kind === "busy" ? 5 : kind === "moderate" ? 0.5 : 1 / 3600;
  workspaces.push({ id: ws.id, perSecond });
}

// The series rows one slot of a workspace's traffic makes (as the commit would write them).
const FIELDS = ["value", "currency", "event_id", "user_data.email", "user_data.client_user_agent", "consent"];
function slotRows(ws, start) {
  const rows = [];
  let received = 0;
  for (const [name, share] of [
    ["Purchase", 0.2],
    ["PageView", 0.8],
  ]) {
    for (const [source, srcShare] of [
      ["server", name === "Purchase" ? 0.6 : 0],
      ["browser", name === "Purchase" ? 0.4 : 1],
    ]) {
      const n = poisson(ws.perSecond * 10 * share * srcShare);
      if (n === 0) continue;
      received += n;
      rows.push([`s:${source}`, n], [`n:${name}`, n]);
      for (const f of FIELDS)
        if (name === "Purchase" || !f.startsWith("value")) rows.push([`f:${name}:${f}`, n]);
      if (name === "Purchase") rows.push([`v:Purchase:${17 + Math.floor(rand() * 3)}`, n]);
    }
  }
  if (received > 0) rows.push(["t:received", received], ["t:accepted", received]);
  // Sum duplicates of a key within the slot (two sources of one name).
  const sums = new Map();
  for (const [k, c] of rows) sums.set(k, (sums.get(k) ?? 0) + c);
  return [...sums].map(([k, c]) => [ws.id, start, k, c]);
}

const db = new Database(path);
const insert = db.prepare(
  "INSERT OR REPLACE INTO series_10s (workspace_id, start, key, count) VALUES (?, ?, ?, ?)",
);
const writeSlot = db.transaction((start) => {
  let n = 0;
  for (const ws of workspaces) for (const r of slotRows(ws, start)) (insert.run(...r), n++);
  return n;
});

let clock = Date.UTC(2026, 11, 7, 9, 0, 0);
const start = clock - HISTORY_MS;
let rows = 0;
let t0 = performance.now();
for (let s = start; s < clock; s += SLOT_MS) rows += writeSlot(s);
console.log(
  `history: ${fmt.int(rows)} series rows (${HISTORY_MS / 60_000} min of 10 s slots, ${WORKSPACES} workspaces) written in ${(
    (performance.now() - t0) /
    1000
  ).toFixed(1)} s`,
);

const fired = [];
const bus = new Bus();
bus.subscribe((m) => {
  if (m.type === "alert" && m.alert.status === "firing") fired.push(m);
});
const monitor = createMonitor({ store, bus, logger: pino({ level: "silent" }), now: () => clock });
t0 = performance.now();
await monitor.tick(); // loads the whole horizon, the rules and the season
console.log(`warm-up tick (whole horizon): ${fmt.ms(performance.now() - t0)}`);

const tickCpu = [];
const tickWall = [];
const readCpu = [];
let nextSlot = clock;
for (let i = 0; i < MEASURED_TICKS; i++) {
  clock += TICK_MS;
  while (nextSlot + SLOT_MS <= clock) {
    writeSlot(nextSlot);
    nextSlot += SLOT_MS;
  }
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await monitor.tick();
  const c = process.cpuUsage(c0);
  tickWall.push(performance.now() - w0);
  tickCpu.push((c.user + c.system) / 1000);
  // Baseline: the same read the tick starts with, alone.
  const b0 = process.cpuUsage();
  await store.monitoring.seriesSince(clock - 3 * SLOT_MS);
  const b = process.cpuUsage(b0);
  readCpu.push((b.user + b.system) / 1000);
}

const sum = (xs) => xs.reduce((a, x) => a + x, 0);
const meanMs = sum(tickCpu) / tickCpu.length;
const percent = (sum(tickCpu) / (MEASURED_TICKS * TICK_MS)) * 100;
const baseMean = sum(readCpu) / readCpu.length;
console.log();
console.log(
  table([
    ["figure (per 5 s tick)", "mean", "median", "p95", ""],
    ["monitor tick, CPU", fmt.ms(meanMs), fmt.ms(median(tickCpu)), fmt.ms(quantile(tickCpu, 0.95)), ""],
    ["monitor tick, wall", "", fmt.ms(median(tickWall)), fmt.ms(quantile(tickWall, 0.95)), ""],
    ["baseline: the newest slots read alone, CPU", fmt.ms(baseMean), fmt.ms(median(readCpu)), fmt.ms(quantile(readCpu, 0.95)), ""],
    [
      "share of one core (CPU time / simulated time)",
      `${percent.toFixed(2)}%`,
      "",
      "",
      `target < ${TARGET_PERCENT}%: ${verdict(percent < TARGET_PERCENT)}`,
    ],
    ["baseline's share", `${((baseMean / TICK_MS) * 100).toFixed(2)}%`, "", "", ""],
  ]),
);
console.log(
  `\n${MEASURED_TICKS} ticks (${((MEASURED_TICKS * TICK_MS) / 60_000).toFixed(0)} simulated minutes) over ${WORKSPACES} workspaces (${workspaces.filter((w) => w.perSecond >= 5).length} busy, ${workspaces.filter((w) => w.perSecond === 0.5).length} moderate, ${workspaces.filter((w) => w.perSecond < 0.01).length} quiet)`,
);
console.log(`load average at the end: ${(await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(`alerts fired on steady traffic (false positives): ${fired.length}`);
for (const m of fired) console.log(`  ${m.rule} ${m.alert.diagnosis}: ${m.message}`);

db.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
