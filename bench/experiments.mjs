// Experiments: the report over 1 M exposed identities and 200 k conversions, on SQLite and on
// PostgreSQL (target: under 500 ms each).
//
//   node bench/experiments.mjs                 (npm run bench -- experiments)
//   BENCH_QUICK=1 node bench/experiments.mjs   100 k identities and 20 k conversions
//
// The stores are built directly with SQL (the schema of the built server's migrations): one
// experiment with two variants, each identity exposed once over 30 days, and conversions of a
// fifth of them after their exposure (plus conversions of persons never exposed). Timed: the
// store's experimentCounts + the report's statistics, as GET /v1/reports/experiments does,
// median of 5 runs after one warm-up. Baseline in the same run: a COUNT(*) over the same
// conversions (the least any report over them must read).
import Database from "better-sqlite3";
import pg from "pg";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, median, table, verdict } from "./lib/stats.mjs";
import { BENCH_DB_URL } from "./lib/pg.mjs";

const dist = (p) => import(join(ROOT, "dist/src", p));
const sqliteMigrate = (await dist("storage/sqlite/migrate.js")).migrate;
const pgMigrate = (await dist("storage/postgres/migrate.js")).migrate;
const sqliteExp = await dist("storage/sqlite/experiments.js");
const pgExp = await dist("storage/postgres/experiments.js");
const { experimentReport } = await dist("experiments/report.js");

const IDENTITIES = QUICK ? 100_000 : 1_000_000;
const CONVERSIONS = QUICK ? 20_000 : 200_000;
const RUNS = 5;
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const WS = "ws_bench";

printMachine("experiments: the report over exposed identities and conversions");
console.log(
  `   ${fmt.int(IDENTITIES)} identities exposed to 2 variants over 30 days, ${fmt.int(CONVERSIONS)} conversions; median of ${RUNS} runs`,
);

const query = {
  experiment: "checkout",
  eventName: "Purchase",
  from: T0,
  to: T0 + 40 * DAY_MS,
  currency: "USD",
};

async function time(fn) {
  await fn();
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

// ---- SQLite
const dir = mkdtempSync(join(tmpdir(), "tally-bench-exp-"));
const db = new Database(join(dir, "tally.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = OFF");
sqliteMigrate(db);
let t = performance.now();
db.exec("BEGIN");
const insExposure = db.prepare(
  "INSERT INTO experiment_exposures (workspace_id, experiment, person, variant, first_at) VALUES (?, 'checkout', ?, ?, ?)",
);
for (let i = 0; i < IDENTITIES; i++)
  insExposure.run(WS, `p${i}`, i % 2 ? "B" : "A", T0 + (i % 30) * DAY_MS + i);
db.prepare(
  "INSERT INTO experiment_variants VALUES (?, 'checkout', 'A', ?, ?), (?, 'checkout', 'B', ?, ?)",
).run(WS, T0, T0 + 30 * DAY_MS, WS, T0, T0 + 30 * DAY_MS);
const insEvent = db.prepare(
  `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, value, currency, payload, person)
   VALUES (?, ?, 'Purchase', 1, ?, ?, ?, 'USD', '{}', ?)`,
);
for (let i = 0; i < CONVERSIONS; i++) {
  // 90% of conversions by exposed persons (a fifth of them), after their exposure; 10% by others.
  const exposed = i % 10 !== 0;
  const p = exposed ? (i * 5) % IDENTITIES : IDENTITIES + i;
  const at = T0 + (p % 30) * DAY_MS + p + 3_600_000;
  insEvent.run(`e${i}`, WS, at, at, 20 + (i % 50), `p${p}`);
}
db.exec("COMMIT");
db.exec("ANALYZE");
console.log(`   SQLite store built in ${fmt.ms(performance.now() - t)}`);
const reader = new Database(join(dir, "tally.db"), { readonly: true });
const sqliteBase = await time(() =>
  reader
    .prepare(
      "SELECT COUNT(*) FROM events WHERE workspace_id = ? AND is_conversion = 1 AND test_event_code IS NULL AND event_time >= ? AND event_time < ?",
    )
    .get(WS, query.from, query.to),
);
const sqliteReport = await time(() => {
  const counts = sqliteExp.experimentCounts(reader, WS, query);
  return experimentReport("checkout", "Purchase", "A", counts);
});
const sample = experimentReport("checkout", "Purchase", "A", sqliteExp.experimentCounts(reader, WS, query));
reader.close();
db.close();
rmSync(dir, { recursive: true, force: true });

// ---- PostgreSQL
let pgBase = null;
let pgReport = null;
const schema = `bench_exp_${process.pid}`;
const admin = new pg.Client({ connectionString: BENCH_DB_URL });
try {
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString: BENCH_DB_URL, max: 2, options: `-c search_path=${schema}` });
  try {
    await pgMigrate(pool);
    t = performance.now();
    await pool.query(
      `INSERT INTO experiment_exposures (workspace_id, experiment, person, variant, first_at)
       SELECT $1, 'checkout', 'p' || i, CASE WHEN i % 2 = 1 THEN 'B' ELSE 'A' END, $2::bigint + (i % 30) * $3::bigint + i
       FROM generate_series(0, $4::int - 1) i`,
      [WS, T0, DAY_MS, IDENTITIES],
    );
    await pool.query(
      "INSERT INTO experiment_variants VALUES ($1, 'checkout', 'A', $2, $3), ($1, 'checkout', 'B', $2, $3)",
      [WS, T0, T0 + 30 * DAY_MS],
    );
    await pool.query(
      `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, value, currency, payload, person)
       SELECT 'e' || i, $1, 'Purchase', true, at, at, 20 + (i % 50), 'USD', '{}', 'p' || p
       FROM (SELECT i, p, $2::bigint + (p % 30) * $3::bigint + p + 3600000 AS at
             FROM (SELECT i, CASE WHEN i % 10 <> 0 THEN (i * 5) % $4::int ELSE $4::int + i END AS p
                   FROM generate_series(0, $5::int - 1) i) s) t`,
      [WS, T0, DAY_MS, IDENTITIES, CONVERSIONS],
    );
    await pool.query("ANALYZE");
    console.log(`   PostgreSQL store built in ${fmt.ms(performance.now() - t)}`);
    pgBase = await time(() =>
      pool.query(
        "SELECT COUNT(*) FROM events WHERE workspace_id = $1 AND is_conversion AND test_event_code IS NULL AND event_time >= $2 AND event_time < $3",
        [WS, query.from, query.to],
      ),
    );
    pgReport = await time(async () =>
      experimentReport("checkout", "Purchase", "A", await pgExp.experimentCounts(pool, WS, query)),
    );
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  }
} catch (err) {
  console.log(`   PostgreSQL not measured: ${err.message}`);
} finally {
  await admin.end().catch(() => {});
}

console.log(
  `   check: A ${fmt.int(sample.variants[0].visitors)} visitors / ${fmt.int(sample.variants[0].converters)} converters, B ${fmt.int(sample.variants[1].visitors)} / ${fmt.int(sample.variants[1].converters)}`,
);
console.log();
console.log(
  table([
    ["figure", "report", "baseline: COUNT(*) of the conversions", "target", ""],
    ["SQLite: report", fmt.ms(sqliteReport), fmt.ms(sqliteBase), "< 500 ms", verdict(sqliteReport < 500)],
    [
      "PostgreSQL: report",
      fmt.ms(pgReport),
      fmt.ms(pgBase),
      "< 500 ms",
      pgReport === null ? "not measured" : verdict(pgReport < 500),
    ],
  ]),
);
