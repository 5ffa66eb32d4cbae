// CRM reconciliation: the reconciliation report over a month of 1 M CRM orders against 1 M
// tracked conversions, on the embedded SQLite store and on PostgreSQL (target: under 10 s), and
// `tally import crm` of a 1 M-row CSV into a running server (target: ≥ 50,000 rows/s). The
// same-run baselines: the attribution report over the same conversions (the report's share of
// scanning them), and `tally import spend` of a CSV of as many rows.
//
//   node scripts/build.mjs && node bench/reconciliation.mjs [--orders 1000000] [--import 1000000] [--runs 3] [--postgres 0]
//
// Report data is written straight into the store's tables (the ingest path has its own
// benchmarks): 1 M Purchase conversions over 30 days with order ids, half of them with a
// last-click credit, and 1 M orders: 92 % of them tracked (3 % of those with another value, 5 %
// refunded), 8 % missing; 8 % of the conversions have no order. Rows are written in time order, as
// a store receives them. The PostgreSQL database is
// TALLY_BENCH_DATABASE_URL, else TALLY_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test;
// a private schema is made and dropped.
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import Database from "better-sqlite3";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { createWorkspace, startTally } from "./lib/server.mjs";
import { fmt, median, table, verdict } from "./lib/stats.mjs";
import { withBenchSchema } from "./lib/pg.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const { SqliteStore } = await import(join(ROOT, "dist/src/storage/sqlite/sqlite-store.js"));
const { PostgresStore } = await import(join(ROOT, "dist/src/storage/postgres/postgres-store.js"));
const { reconciliationReport } = await import(join(ROOT, "dist/src/reconciliation/report.js"));
const { standardActions } = await import(join(ROOT, "dist/src/domain/workspace.js"));
const { runImport } = await import(join(ROOT, "dist/src/cli/import.js"));
const { ApiClient } = await import(join(ROOT, "dist/src/cli/api-client.js"));

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt("orders", QUICK ? 100_000 : 1_000_000);
const IMPORT = opt("import", QUICK ? 100_000 : 1_000_000);
const RUNS = opt("runs", QUICK ? 2 : 3);
const POSTGRES = opt("postgres", 1) !== 0;
const TARGET_MS = 10_000;
const TARGET_RATE = 50_000;
const DAY = 86_400_000;
const TO = Date.UTC(2026, 3, 1);
const FROM = Date.UTC(2026, 2, 1);
const PLATFORMS = ["google", "meta", "tiktok", "linkedin"];

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

/**
 * Chunks of { events: [id, event_time, order_id, value], credits: [id, event_time, platform],
 * orders: [order_id, time, value, status] }.
 */
function* data() {
  const r = prng(7);
  let chunk = { events: [], credits: [], orders: [] };
  for (let i = 0; i < N; i++) {
    // In time order, as a store receives them (orders a minute before their conversion).
    const t = FROM + 3600_000 + Math.floor(((i + r()) * (TO - FROM - 7200_000)) / N);
    const value = Math.round(r() * 20000) / 100;
    const id = `evt_${String(i).padStart(26, "0")}`;
    const tracked = r() < 0.92;
    const u = r();
    if (tracked) {
      chunk.events.push([id, t, `O-${i}`, value]);
      if (i % 2 === 0) chunk.credits.push([id, t, PLATFORMS[i % 4]]);
    }
    const crmValue = tracked && u < 0.03 ? value + 5 : value;
    chunk.orders.push([`O-${i}`, t - 60_000, crmValue, u > 0.95 ? "refunded" : "completed"]);
    // Conversions the CRM does not know (test orders, other ids): 8 % on top.
    if (r() < 0.08)
      chunk.events.push([`evt_x${String(i).padStart(25, "0")}`, t, r() < 0.5 ? null : `T-${i}`, value]);
    if (chunk.orders.length >= 5000) {
      yield chunk;
      chunk = { events: [], credits: [], orders: [] };
    }
  }
  if (chunk.orders.length) yield chunk;
}

async function measure(store, ws) {
  const out = [];
  for (const groupBy of ["month", "day", "platform"]) {
    const times = [];
    const stalls = [];
    let report = null;
    for (let i = 0; i < RUNS; i++) {
      const loop = stallMeter();
      const t0 = performance.now();
      const sums = await store.reconciliation.reconcile(ws.id, {
        from: FROM,
        to: TO,
        eventName: "Purchase",
        byPlatform: groupBy === "platform",
      });
      report = reconciliationReport(sums, {
        groupBy,
        timezone: "UTC",
        eventName: "Purchase",
        currency: "USD",
      });
      times.push(performance.now() - t0);
      stalls.push(await loop.stop());
    }
    out.push({
      what: `reconciliation group_by=${groupBy}`,
      p50: median(times),
      note: `${fmt.int(report.crm.orders)} orders, match rate ${report.match_rate}; event loop's longest stall ${fmt.ms(median(stalls))}`,
    });
  }
  const base = [];
  const baseStalls = [];
  for (let i = 0; i < RUNS; i++) {
    const loop = stallMeter();
    const t0 = performance.now();
    await store.attributionReport(ws.id, {
      from: FROM,
      to: TO,
      model: "last_click",
      groupBy: "platform",
      currency: "USD",
    });
    base.push(performance.now() - t0);
    baseStalls.push(await loop.stop());
  }
  out.push({
    what: "baseline: attribution report by platform",
    p50: median(base),
    note: `event loop's longest stall ${fmt.ms(median(baseStalls))}`,
  });
  return out;
}

/**
 * The longest the calling thread's event loop could not turn, from start() to stop(): what
 * every request in flight on a server would wait. A 1 ms interval notes each gap between its
 * runs; a report that holds the thread shows as one gap of its length.
 */
function stallMeter() {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 5)); // a gap still open is noted
      clearInterval(timer);
      return max;
    },
  };
}

function print(label, results, loadMs) {
  console.log(`\n${label} (data written in ${(loadMs / 1000).toFixed(1)} s)`);
  console.log(
    table([
      ["query", "p50", "", `< ${TARGET_MS / 1000} s`],
      ...results.map((r) => [
        r.what,
        fmt.ms(r.p50),
        r.note,
        r.what.startsWith("baseline") ? "" : verdict(r.p50 < TARGET_MS),
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
  `reconciliation: ${fmt.int(N)} CRM orders against ~${fmt.int(N)} conversions in a month; CSV import of ${fmt.int(IMPORT)} rows`,
);

// ---- SQLite ----
{
  const dir = mkdtempSync(join(tmpdir(), "tally-bench-recon-"));
  const path = join(dir, "tally.db");
  const store = new SqliteStore({
    path,
    synchronous: "normal",
    dedupWindowMs: 7 * DAY,
    maxGroupWeight: 500,
    writer: pathToFileURL(join(ROOT, "dist/src/sqlite-writer-main.js")),
  });
  await store.init();
  const ws = await store.createWorkspace(WS, keys(), standardActions());
  const t0 = performance.now();
  const db = new Database(path);
  db.pragma("busy_timeout = 10000");
  const ev = db.prepare(
    `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, order_id, value, currency, attributed, payload)
     VALUES (?, ?, 'Purchase', 1, ?, ?, ?, ?, 'USD', ?, '{}')`,
  );
  const cr = db.prepare(
    `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
     VALUES (?, ?, 'last_click', ?, 0, ?, 'c', NULL, ?, 1, 0, 'USD')`,
  );
  const od = db.prepare(
    `INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at) VALUES (?, ?, 'Purchase', ?, ?, 'USD', ?, ?)`,
  );
  for (const c of data())
    db.transaction(() => {
      for (const e of c.events) ev.run(e[0], ws.id, e[1], e[1], e[2], e[3], 0);
      for (const x of c.credits) cr.run(x[0], ws.id, x[1], x[2], x[1] - 3600_000);
      for (const o of c.orders) od.run(ws.id, o[0], o[1], o[2], o[3], TO);
    })();
  db.exec("ANALYZE");
  db.close();
  print("SQLite", await measure(store, ws), performance.now() - t0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// ---- PostgreSQL ----
if (POSTGRES) {
  await withBenchSchema("tally_bench", async (url, schema, admin) => {
    const store = new PostgresStore({ url, dedupWindowMs: 7 * DAY, maxGroupWeight: 500 });
    await store.init();
    const ws = await store.createWorkspace(WS, keys(), standardActions());
    const t0 = performance.now();
    await admin.query(`SET search_path = ${schema}`);
    for (const c of data()) {
      const col = (rows, i) => rows.map((r) => r[i]);
      await admin.query(
        `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, order_id, value, currency, attributed, payload)
         SELECT id, $1, 'Purchase', true, t, t, o, v, 'USD', false, '{}' FROM unnest($2::text[], $3::int8[], $4::text[], $5::float8[]) AS x(id, t, o, v)`,
        [ws.id, col(c.events, 0), col(c.events, 1), col(c.events, 2), col(c.events, 3)],
      );
      await admin.query(
        `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
         SELECT id, $1, 'last_click', t, 0, p, 'c', NULL, t - 3600000, 1, 0, 'USD' FROM unnest($2::text[], $3::int8[], $4::text[]) AS x(id, t, p)`,
        [ws.id, col(c.credits, 0), col(c.credits, 1), col(c.credits, 2)],
      );
      await admin.query(
        `INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at)
         SELECT $1, o, 'Purchase', t, v, 'USD', s, $6 FROM unnest($2::text[], $3::int8[], $4::float8[], $5::text[]) AS x(o, t, v, s)`,
        [ws.id, col(c.orders, 0), col(c.orders, 1), col(c.orders, 2), col(c.orders, 3), TO],
      );
    }
    for (const t of ["events", "credits", "crm_orders"]) await admin.query(`VACUUM ANALYZE ${t}`);
    print("PostgreSQL", await measure(store, ws), performance.now() - t0);
    await store.close();
  });
}

// ---- CSV import into a running server (embedded store) ----
{
  const dir = mkdtempSync(join(tmpdir(), "tally-bench-import-"));
  const writeCsv = (file, header, row) => {
    const fd = openSync(file, "w");
    writeSync(fd, header + "\n");
    let buf = "";
    for (let i = 0; i < IMPORT; i++) {
      buf += row(i) + "\n";
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = "";
      }
    }
    writeSync(fd, buf);
    closeSync(fd);
  };
  const crmFile = join(dir, "orders.csv");
  const spendFile = join(dir, "spend.csv");
  const t = Math.floor(Date.now() / 1000) - 86_400;
  writeCsv(
    crmFile,
    "order_id,time,value,currency,status",
    (i) => `O-${i},${t + (i % 80_000)},${(i % 20000) / 100},USD,${i % 20 === 0 ? "refunded" : "completed"}`,
  );
  const day = (i) => new Date(Date.now() - (1 + (i % 300)) * DAY).toISOString().slice(0, 10);
  writeCsv(
    spendFile,
    "date,platform,campaign,ad,spend",
    (i) => `${day(i)},meta,C${Math.floor(i / 300) % 1000},A${Math.floor(i / 300000)},${(i % 500) / 10}`,
  );
  const server = await startTally();
  try {
    const results = [];
    for (const [kind, file] of [
      ["crm", crmFile],
      ["spend", spendFile],
    ]) {
      const ws = await createWorkspace(server.url, `Import ${kind}`);
      const client = new ApiClient({ baseUrl: server.url, key: ws.secret_key });
      const s = await runImport({
        path: file,
        kind,
        format: "csv",
        client,
        batchSize: 1000,
        concurrency: 4,
        progress: null,
      });
      results.push({
        kind,
        rows: s.rows,
        accepted: s.accepted,
        ms: s.elapsedMs,
        mb: statSync(file).size / 1e6,
      });
    }
    console.log(`\nCSV import into a running server (embedded store; ${fmt.int(IMPORT)} rows each)`);
    console.log(
      table([
        ["import", "rows", "accepted", "time", "rows/s", `≥ ${fmt.int(TARGET_RATE)} rows/s`],
        ...results.map((r) => {
          const rate = (r.rows * 1000) / r.ms;
          return [
            r.kind === "crm" ? "tally import crm" : "baseline: tally import spend",
            fmt.int(r.rows),
            fmt.int(r.accepted),
            `${(r.ms / 1000).toFixed(1)} s`,
            fmt.int(Math.round(rate)),
            r.kind === "crm" ? verdict(rate >= TARGET_RATE) : "",
          ];
        }),
      ]),
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
