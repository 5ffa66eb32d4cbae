// The performance report (GET /v1/reports/performance's computation, `performanceRows`) over
// 30 days with 1 M attributed conversions and 100 k spend rows, on the embedded SQLite store and
// on PostgreSQL. Target: under 100 ms. The same-run baseline is the credit sums read straight
// from the credits, as both reports did before the credit rollup (with the covering index
// they had then, made here for it).
//
//   node scripts/build.mjs && node bench/performance.mjs [--conversions 1000000] [--spend 100000] [--runs 15] [--postgres 0]
//
// Data is written straight into the store's tables (the ingest path has its own benchmarks):
// credits under two models (last_click, linear) for 1 M conversions spread over 30 days,
// 4 platforms × 100 campaigns × 10 ads, and 100 k spend rows over the same 30 days; the credit
// rollup is then filled from the credits by the migration's own backfill. Each report is read
// over the 30 days from midnight UTC and over a window that starts and ends mid-hour (07:30),
// which reads hours and raw credits at its edges. The
// PostgreSQL database is TALLY_BENCH_DATABASE_URL, else TALLY_TEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test; a private schema is made and dropped.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { fmt, median, quantile, table, verdict } from "./lib/stats.mjs";
import { withBenchSchema } from "./lib/pg.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const { SqliteStore } = await import(join(ROOT, "dist/src/storage/sqlite/sqlite-store.js"));
const { PostgresStore } = await import(join(ROOT, "dist/src/storage/postgres/postgres-store.js"));
const { performanceRows } = await import(join(ROOT, "dist/src/performance/performance-rows.js"));
const { standardActions } = await import(join(ROOT, "dist/src/domain/workspace.js"));
const { SQLITE_WRITER_ENTRY, commitCore } = await import(join(ROOT, "dist/src/open-store.js"));
const { CREDIT_ROLLUP_BACKFILL: SQLITE_BACKFILL } = await import(
  join(ROOT, "dist/src/storage/sqlite/schema.js")
);
const { CREDIT_ROLLUP_BACKFILL: PG_BACKFILL } = await import(
  join(ROOT, "dist/src/storage/postgres/schema.js")
);

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const CONVERSIONS = opt("conversions", QUICK ? 100_000 : 1_000_000);
const SPEND_ROWS = opt("spend", QUICK ? 10_000 : 100_000);
const RUNS = opt("runs", QUICK ? 5 : 15);
const POSTGRES = opt("postgres", 1) !== 0;
const TARGET_MS = 100;
const DAY = 86_400_000;

const PLATFORMS = ["google", "meta", "tiktok", "linkedin"];
const CAMPAIGNS = 100;
const ADS = 10;
const TO = Date.UTC(2026, 2, 31);
const FROM = TO - 30 * DAY;

/** Deterministic pseudo-random numbers (the data is the same on both stores). */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Credit rows, in chunks: [event_ref, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency]. */
function* credits(wsId) {
  const r = prng(1);
  let chunk = [];
  for (let i = 0; i < CONVERSIONS; i++) {
    const t = FROM + Math.floor(r() * 30 * DAY);
    const value = Math.round(r() * 20000) / 100;
    const p = PLATFORMS[i % 4];
    const c = Math.floor(r() * CAMPAIGNS);
    // A third of the clicks carry the campaign's id, the rest its name.
    const campaign = i % 3 === 0 ? `${p}-c${c}` : `Campaign ${c}`;
    const ad = `Ad ${c}-${Math.floor(r() * ADS)}`;
    chunk.push([`evt_${i}`, "last_click", t, 0, p, campaign, ad, t - 3600_000, 1, value, "USD"]);
    chunk.push([`evt_${i}`, "linear", t, 0, p, campaign, ad, t - 3600_000, 0.5, value, "USD"]);
    chunk.push([
      `evt_${i}`,
      "linear",
      t,
      1,
      PLATFORMS[(i + 1) % 4],
      campaign,
      ad,
      t - 7200_000,
      0.5,
      value,
      "USD",
    ]);
    if (chunk.length >= 6000) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
  void wsId;
}

/** Spend rows: 100 k over 30 days, a row per day, platform, campaign and ad. */
function spendRows(wsId) {
  const rows = [];
  const perDay = Math.ceil(SPEND_ROWS / 30);
  for (let d = 0; d < 30 && rows.length < SPEND_ROWS; d++) {
    const date = new Date(FROM + d * DAY).toISOString().slice(0, 10);
    for (let k = 0; k < perDay && rows.length < SPEND_ROWS; k++) {
      const p = PLATFORMS[k % 4];
      const c = Math.floor(k / 4 / ADS) % CAMPAIGNS;
      const a = Math.floor(k / 4) % ADS;
      rows.push([
        wsId,
        date,
        p,
        "acct",
        `${p}-c${c}`,
        `${p}-c${c}-a${a}`,
        `Campaign ${c}`,
        `${p}-c${c}`,
        `Ad ${c}-${a}`,
        `${p}-c${c}-a${a}`,
        10 + (k % 50),
        "USD",
        1000,
        20,
        null,
        TO,
      ]);
    }
  }
  return rows;
}

/** 30 days from midnight, and a window of about as long whose ends fall mid-hour. */
const WINDOWS = [
  ["", FROM, TO],
  [" (07:30 to 07:30)", FROM + 7.5 * 3600_000, TO - 16.5 * 3600_000],
];

/** The credit sums by ad as read before the credit rollup: a scan of the period's credits. */
const RAW_SUMS = `SELECT platform, campaign, ad, currency, SUM(credit) AS conversions, SUM(credit * COALESCE(value, 0)) AS value
  FROM credits WHERE workspace_id = $1 AND model = 'last_click' AND event_time >= $2 AND event_time < $3
  GROUP BY platform, campaign, ad, currency`;

async function measure(store, ws, rawSums) {
  const out = [];
  for (const [label, from, to] of WINDOWS)
    for (const groupBy of ["platform", "campaign", "ad"]) {
      const q = { from, to, model: "last_click", groupBy };
      await performanceRows(store, ws, q); // warm
      const times = [];
      let rows = 0;
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const r = await performanceRows(store, ws, q);
        times.push(performance.now() - t0);
        rows = r.rows.length;
      }
      out.push({
        what: `performance group_by=${groupBy}${label}`,
        rows,
        p50: median(times),
        p95: quantile(times, 0.95),
      });
    }
  // Where the time goes: the two store reads alone (the rest is matching in JS).
  for (const [what, fn] of [
    [
      "  of which credit sums (ad)",
      () => store.spend.creditTotals(ws.id, { from: FROM, to: TO, model: "last_click", groupBy: "ad" }),
    ],
    [
      "  of which spend sums (ad)",
      () =>
        store.spend.totals(ws.id, {
          fromDate: "2026-03-01",
          toDate: "2026-03-30",
          groupBy: "ad",
          perDay: false,
        }),
    ],
  ]) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    out.push({ what, rows: null, p50: median(times), p95: quantile(times, 0.95), part: true });
  }
  const base = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await rawSums(ws.id, FROM, TO);
    base.push(performance.now() - t0);
  }
  out.push({
    what: "baseline: credit sums by ad from the raw credits",
    rows: null,
    p50: median(base),
    p95: quantile(base, 0.95),
    part: true,
  });
  for (const [label, from, to] of WINDOWS) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await store.attributionReport(ws.id, {
        from,
        to,
        model: "last_click",
        groupBy: "campaign",
        currency: "USD",
      });
      times.push(performance.now() - t0);
    }
    out.push({
      what: `attribution report by campaign${label}`,
      rows: null,
      p50: median(times),
      p95: quantile(times, 0.95),
    });
  }
  return out;
}

/** How long the migration's backfill of the credit rollup took on the data just written. */
let rollupMs = 0;

function print(label, results, loadMs) {
  console.log(
    `\n${label} (data written in ${(loadMs / 1000).toFixed(1)} s, of which the credit rollup's backfill ${(rollupMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    table([
      ["query", "rows", "p50", "p95", `< ${TARGET_MS} ms`],
      ...results.map((r) => [
        r.what,
        r.rows === null ? "" : fmt.int(r.rows),
        fmt.ms(r.p50),
        fmt.ms(r.p95),
        r.part ? "" : verdict(r.p50 < TARGET_MS),
      ]),
    ]),
  );
}

const WS = { name: "Bench", currency: "USD", timezone: "UTC" };
const keys = () => ({
  publicKey: `pk_${randomBytes(8).toString("hex")}`,
  secretKeyHash: randomBytes(32).toString("hex"),
});

printMachine(
  `performance report: ${fmt.int(CONVERSIONS)} conversions, ${fmt.int(SPEND_ROWS)} spend rows, 30 days`,
);

// ---- SQLite ----
{
  const dir = mkdtempSync(join(tmpdir(), "tally-bench-perf-"));
  const path = join(dir, "tally.db");
  const store = new SqliteStore({
    path,
    synchronous: "normal",
    dedupWindowMs: 7 * DAY,
    maxGroupWeight: 500,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
  const ws = await store.createWorkspace(WS, keys(), standardActions());
  const t0 = performance.now();
  const db = new Database(path);
  db.pragma("busy_timeout = 10000");
  const ins = db.prepare(
    "INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const sp = db.prepare(
    "INSERT INTO spend (workspace_id, date, platform, account, campaign_key, ad_key, campaign, campaign_id, ad, ad_id, spend, currency, impressions, clicks, source_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const chunk of credits(ws.id))
    db.transaction(() => {
      for (const c of chunk) ins.run(c[0], ws.id, ...c.slice(1));
    })();
  db.transaction(() => {
    for (const r of spendRows(ws.id)) sp.run(...r);
  })();
  const r0 = performance.now();
  db.exec(SQLITE_BACKFILL);
  rollupMs = performance.now() - r0;
  db.exec(
    "CREATE INDEX bench_credits_covering ON credits (workspace_id, model, event_time, platform, campaign, ad, credit, value, currency)",
  );
  db.exec("ANALYZE");
  const loadMs = performance.now() - t0;
  const raw = db.prepare(RAW_SUMS.replace(/\$\d/g, "?"));
  print("SQLite", await measure(store, ws, (id, from, to) => raw.all(id, from, to)), loadMs);
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// ---- PostgreSQL ----
if (POSTGRES) {
  await withBenchSchema("tally_bench", async (url, schema, admin) => {
    const store = new PostgresStore({
      url,
      dedupWindowMs: 7 * DAY,
      maxGroupWeight: 500,
      core: commitCore,
    });
    await store.init();
    const ws = await store.createWorkspace(WS, keys(), standardActions());
    const t0 = performance.now();
    await admin.query(`SET search_path = ${schema}`);
    for (const chunk of credits(ws.id)) {
      const cols = Array.from({ length: 11 }, (_, i) => chunk.map((c) => c[i]));
      await admin.query(
        `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
         SELECT e, $1, m, t, o, p, c, a, tt, cr, v, cu FROM unnest($2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::float8[], $11::float8[], $12::text[])
         AS x(e, m, t, o, p, c, a, tt, cr, v, cu)`,
        [ws.id, ...cols],
      );
    }
    const rows = spendRows(ws.id);
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      const cols = Array.from({ length: 16 }, (_, k) => chunk.map((r) => r[k]));
      await admin.query(
        `INSERT INTO spend SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::float8[], $12::text[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[])`,
        cols,
      );
    }
    const r0 = performance.now();
    await admin.query(PG_BACKFILL);
    rollupMs = performance.now() - r0;
    await admin.query(
      "CREATE INDEX bench_credits_covering ON credits (workspace_id, model, event_time) INCLUDE (platform, campaign, ad, credit, value, currency)",
    );
    await admin.query("VACUUM ANALYZE credits");
    await admin.query("VACUUM ANALYZE credit_rollup");
    await admin.query("VACUUM ANALYZE spend");
    const loadMs = performance.now() - t0;
    print(
      "PostgreSQL",
      await measure(store, ws, (id, from, to) => admin.query(RAW_SUMS, [id, from, to])),
      loadMs,
    );
    await store.close();
  });
}
