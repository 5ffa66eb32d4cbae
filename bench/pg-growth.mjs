// PostgreSQL growth (issue 18): does ingest keep its rate, and does the 30-day metrics query
// stay fast, when `events` holds 50 M rows? Two schemas, one Tally node on each: `empty` (the
// same-run baseline) and `big`, whose events table gets 50 M generated rows (generate_series in
// SQL, spread over the 12 months before now, 20 % of them the measured workspace's, one in seven
// a conversion) and a year of rollups. Then, alternating empty/big for each round:
//   (a) wrk, 100-event batches and single events, to each node;
//   (b) GET /v1/metrics over 30 days (bucket=day and bucket=hour), its median and p95 over
//       many calls; GET /v1/metrics/event-time (reads the events themselves) for reference.
// Both schemas are dropped at the end. BENCH_QUICK=1: 2 M rows, shorter rounds.
//
//   node scripts/build.mjs && node bench/pg-growth.mjs [--rows 50000000] [--rounds 3] [--duration 10]
//
// The database is TALLY_BENCH_DATABASE_URL, else TALLY_TEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { QUICK, printMachine } from "./lib/machine.mjs";
import { createWorkspace, startTally } from "./lib/server.mjs";
import { fmt, median, medianRun, quantile, table, verdict } from "./lib/stats.mjs";
import { runWrk, uniqueRequestsLua } from "./lib/wrk.mjs";
import { BENCH_DB_URL, schemaUrl } from "./lib/pg.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const ROWS = Number(opt("rows", QUICK ? "2000000" : "50000000"));
const ROUNDS = Number(opt("rounds", "3"));
const DURATION = Number(opt("duration", QUICK ? "5" : "10"));
const CALLS = QUICK ? 30 : 50;
const MONTHS = 12;
const DAY = 86_400_000;
const KEY = "5a".repeat(32);

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Fills `events` with `rows` generated rows over the 12 months before now, month by month. */
async function generate(url, workspaceId) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("SET statement_timeout = 0");
  await c.query("SET maintenance_work_mem = '256MB'");
  const now = Date.now();
  const start = now - MONTHS * 30 * DAY;
  const span = now - DAY - start; // up to yesterday: the node's own rows are today's
  const t0 = process.hrtime.bigint();
  // Month bounds (UTC) covering [start, now).
  const months = [];
  for (let d = new Date(start); ;) {
    const lo = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const hi = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    months.push([lo, hi]);
    if (hi > now) break;
    d = new Date(hi);
  }
  const columns = `id, workspace_id, event_name, is_conversion, event_time, received_at, event_id, order_id, value,
    currency, attributed, payload, source, person`;
  // Row i (1..ROWS) is received at start + i * span / ROWS.
  const select = (from, to) => `
    SELECT 'evt_g' || lpad(i::text, 10, '0'), CASE WHEN i % 5 = 0 THEN $1 ELSE 'ws_gen_' || (i % 97) END,
      CASE WHEN i % 7 = 0 THEN 'Purchase' ELSE 'PageView' END, i % 7 = 0, t - (i % 600000), t,
      'e' || i, CASE WHEN i % 7 = 0 THEN 'o' || i END, CASE WHEN i % 7 = 0 THEN 10 + i % 90 END,
      CASE WHEN i % 7 = 0 THEN 'USD' END, i % 3 = 0,
      '{"event_source_url":"https://shop.example/p/' || (i % 5000) || '","u":{"anonymous_id":"a' || (i % 200000) || '"},"c":{"value":' || (10 + i % 90) || '}}',
      'server', CASE WHEN i % 7 = 0 THEN 'p' || (i % 1000000) END
    FROM generate_series(${from}::bigint, ${to}::bigint) AS g(i),
      LATERAL (SELECT ${start}::bigint + (i * ${span}::bigint / ${ROWS}) AS t) AS x`;
  const idx = (t) => Math.max(1, Math.min(ROWS, Math.ceil(((t - start) * ROWS) / span)));
  for (const [lo, hi] of months) {
    const from = idx(lo);
    const to = hi > start + span ? ROWS : idx(hi) - 1;
    if (to < from) continue;
    const name = `events_${new Date(lo).toISOString().slice(0, 7).replace("-", "")}`;
    const exists = (await c.query("SELECT to_regclass($1) AS r", [name])).rows[0].r !== null;
    if (exists) {
      // The month the node made (this one): rows go in through the parent, indexes and all.
      await c.query(`INSERT INTO events (${columns}) ${select(from, to)}`, [workspaceId]);
    } else {
      // A past month: filled alone, then attached (its indexes built once, not row by row).
      await c.query(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await c.query(`INSERT INTO ${name} (${columns}) ${select(from, to)}`, [workspaceId]);
      await c.query(`ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM (${lo}) TO (${hi})`);
    }
    console.log(`   ${name}: ${fmt.int(to - from + 1)} rows (${(ms(t0) / 1000).toFixed(0)} s)`);
  }
  // Rollups as ingest keeps them: a year of hours for the measured workspace and 96 others (what
  // GET /v1/metrics by hour and day reads), 35 days of minutes for the measured one.
  const r0 = process.hrtime.bigint();
  const rollup = (table, step, from, others) => `
    INSERT INTO ${table} (workspace_id, start, received, accepted, conversions, value, clicks)
    SELECT w, s, 120, 118, 17, 17 * 55.0, 40
    FROM (SELECT $1::text AS w UNION ALL SELECT 'ws_gen_' || k FROM generate_series(1, ${others}) AS k) AS ws,
      generate_series(${from - (from % step)}::bigint, ${now}::bigint, ${step}) AS s`;
  await c.query(rollup("rollups_minute", 60_000, now - 35 * DAY, 0), [workspaceId]);
  await c.query(rollup("rollups_hour", 3_600_000, start, 96), [workspaceId]);
  await c.query("ANALYZE");
  const size = (
    await c.query(
      `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS s, count(*) AS parts FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`,
    )
  ).rows[0];
  await c.end();
  return { seconds: ms(t0) / 1000, rollupSeconds: ms(r0) / 1000, size: size.s, partitions: size.parts };
}

const batchLua = (secret, n) =>
  uniqueRequestsLua({
    method: "POST",
    path: '"/v1/events"',
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    prelude: `
local function one(id, k)
  return '{"event_name":"Purchase","event_time":' .. (os.time() - 5) .. ',"event_id":"' .. id .. '-' .. k ..
    '","action_source":"website","user_data":{"external_id":"u' .. math.random(1, 100000) ..
    '"},"custom_data":{"value":12.5,"currency":"USD"}}'
end
local function body(id)
  local parts = {}
  for k = 1, ${n} do parts[k] = one(id, k) end
  return '{"data":[' .. table.concat(parts, ",") .. ']}'
end`,
    body: "body(id)",
  });

/** The 30-day metrics SQL alone (pg-reader.ts `metrics`, bucket hour/day), round trip from a client. */
async function timeSql(url, workspaceId, from, to) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const times = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await c.query(
      `SELECT start, received, accepted, conversions, value, duplicates, rejected, clicks, impressions,
              flagged, flagged_value, flagged_clicks, latency, pipeline
       FROM rollups_hour WHERE workspace_id = $1 AND start >= $2 AND start < $3 ORDER BY start`,
      [workspaceId, from - (from % 3_600_000), to],
    );
    times.push(ms(t0));
  }
  await c.end();
  return { p50: median(times), p95: quantile(times, 0.95) };
}

/**
 * The database's share alone, without the node (which the shared box's load swamps): 100-row
 * inserts into events in the shape of bulk-inserts.ts (one statement, unnest of arrays, each
 * its own commit), then lookups of those rows by (workspace_id, id) as the commit path does.
 */
async function timeSqlIngest(url, workspaceId) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const inserts = [];
  const ids = [];
  const batches = QUICK ? 10 : 30;
  for (let b = 0; b < batches; b++) {
    const now = Date.now();
    const rows = Array.from(
      { length: 100 },
      (_, i) => `evt_sql_${now}_${randomBytes(5).toString("hex")}_${i}`,
    );
    ids.push(...rows);
    const t0 = process.hrtime.bigint();
    await c.query(
      `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, event_id, value, currency, payload, source)
       SELECT id, $2, 'Purchase', true, $3, $3, id, 12.5, 'USD', '{"c":{"value":12.5}}', 'server' FROM unnest($1::text[]) AS t(id)`,
      [rows, workspaceId, now],
    );
    inserts.push(ms(t0));
  }
  const lookups = [];
  for (let i = 0; i < (QUICK ? 100 : 300); i++) {
    const id = ids[Math.floor(Math.random() * ids.length)];
    const t0 = process.hrtime.bigint();
    await c.query("SELECT id, value, payload FROM events WHERE workspace_id = $1 AND id = $2", [
      workspaceId,
      id,
    ]);
    lookups.push(ms(t0));
  }
  await c.end();
  return { insert: median(inserts), lookup: median(lookups) };
}

async function timeGets(url, secret, path, calls = CALLS) {
  const times = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${secret}` } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    times.push(ms(t0));
  }
  return { p50: median(times), p95: quantile(times, 0.95) };
}

async function main() {
  printMachine(`pg-growth: ingest and 30-day metrics at ${fmt.int(ROWS)} events vs an empty table`);
  const admin = new pg.Client({ connectionString: BENCH_DB_URL });
  await admin.connect();
  const schemas = {
    empty: `tally_growth_e_${randomBytes(4).toString("hex")}`,
    big: `tally_growth_b_${randomBytes(4).toString("hex")}`,
  };
  const nodes = {};
  try {
    for (const s of Object.values(schemas)) await admin.query(`CREATE SCHEMA ${s}`);
    for (const [k, s] of Object.entries(schemas)) {
      const node = await startTally({
        env: { TALLY_DATABASE_URL: schemaUrl(s), TALLY_ENCRYPTION_KEY: KEY, TALLY_OUTBOX: "false" },
      });
      const ws = await createWorkspace(node.url, `growth-${k}`);
      nodes[k] = { node, ws };
    }
    console.log(`-- generating ${fmt.int(ROWS)} events in schema ${schemas.big}`);
    const gen = await generate(schemaUrl(schemas.big), nodes.big.ws.id);
    console.log(
      `   done in ${gen.seconds.toFixed(0)} s (rollups ${gen.rollupSeconds.toFixed(0)} s): ${gen.partitions} partitions, ${gen.size} with indexes`,
    );
    const to = Date.now();
    const from = to - 30 * DAY;
    const iso = (t) => new Date(t).toISOString();
    const paths = {
      "metrics day": `/v1/metrics?bucket=day&from=${iso(from)}&to=${iso(to)}`,
      "metrics hour": `/v1/metrics?bucket=hour&from=${iso(from)}&to=${iso(to)}`,
      "event-time day": `/v1/metrics/event-time?bucket=day&from=${iso(from)}&to=${iso(to)}`,
    };
    const runs = { empty: { batch: [], single: [] }, big: { batch: [], single: [] } };
    const reads = { empty: {}, big: {} };
    const sqlIngest = {};
    for (let r = 1; r <= ROUNDS; r++) {
      for (const k of ["empty", "big"]) {
        const { node, ws } = nodes[k];
        for (const [kind, n, conns] of [
          ["batch", 100, 8],
          ["single", 1, 50],
        ]) {
          const w = await runWrk({
            url: node.url,
            lua: batchLua(ws.secret_key, n),
            connections: conns,
            durationS: DURATION,
          });
          if (w.non2xx > 0 || w.socketErrors > 0)
            console.log(`   ${k} ${kind}: ${w.non2xx} non-2xx, ${w.socketErrors} socket errors`);
          runs[k][kind].push({ ...w, events: w.rps * n });
        }
        for (const [name, path] of Object.entries(paths)) {
          // The event-time view aggregates the month's conversions from the events: a few calls.
          const t = await timeGets(node.url, ws.secret_key, path, name.startsWith("event-time") ? 5 : CALLS);
          (reads[k][name] ??= []).push(t);
        }
        (reads[k]["metrics SQL"] ??= []).push(await timeSql(schemaUrl(schemas[k]), ws.id, from, to));
        (sqlIngest[k] ??= []).push(await timeSqlIngest(schemaUrl(schemas[k]), ws.id));
        console.log(
          `   round ${r} ${k}: SQL 100-row insert ${fmt.ms(sqlIngest[k].at(-1).insert)}, lookup ${fmt.ms(sqlIngest[k].at(-1).lookup)}; batches ${fmt.int(runs[k].batch.at(-1).events)} events/s, single ${fmt.int(runs[k].single.at(-1).events)} events/s, metrics day p50 ${fmt.ms(reads[k]["metrics day"].at(-1).p50)}`,
        );
      }
    }
    const rows = [
      [
        "table",
        "batch events/s",
        "p99",
        "single events/s",
        "p99",
        ...Object.keys(paths).map((p) => `${p} p50 / p95`),
      ],
    ];
    const med = {};
    for (const k of ["empty", "big"]) {
      const b = medianRun(runs[k].batch.map((x) => ({ ...x, rps: x.events })));
      const s = medianRun(runs[k].single.map((x) => ({ ...x, rps: x.events })));
      med[k] = { batch: b.rps, single: s.rps, reads: {} };
      const cells = [];
      for (const p of [...Object.keys(paths), "metrics SQL"]) {
        const p50 = median(reads[k][p].map((x) => x.p50));
        const p95 = median(reads[k][p].map((x) => x.p95));
        med[k].reads[p] = { p50, p95 };
        cells.push(`${fmt.ms(p50)} / ${fmt.ms(p95)}`);
      }
      rows.push([
        k === "empty" ? "empty (baseline)" : `${fmt.int(ROWS)} events`,
        fmt.int(b.rps),
        fmt.ms(b.p99),
        fmt.int(s.rps),
        fmt.ms(s.p99),
        ...cells,
      ]);
    }
    console.log(
      `\nmedians of ${ROUNDS} rounds (${DURATION} s each; reads: ${CALLS} calls per round, median of the rounds' p50 and p95)`,
    );
    console.log(table(rows));
    const ratioB = med.big.batch / med.empty.batch;
    const ratioS = med.big.single / med.empty.single;
    const mp95 = med.big.reads["metrics day"].p95;
    const mh95 = med.big.reads["metrics hour"].p95;
    console.log(
      `\ningest at ${fmt.int(ROWS)} / empty: batches ${ratioB.toFixed(2)}, single ${ratioS.toFixed(2)} (target ≥ 0.9): ${verdict(ratioB >= 0.9 && ratioS >= 0.9)}`,
    );
    console.log(
      `30-day GET /v1/metrics at ${fmt.int(ROWS)}: p95 ${fmt.ms(mp95)} (day), ${fmt.ms(mh95)} (hour) (target < 50 ms): ${verdict(mp95 < 50 && mh95 < 50)}`,
    );
    const sq = (k, f) => median(sqlIngest[k].map((x) => x[f]));
    console.log(
      `SQL alone, medians: 100-row insert ${fmt.ms(sq("empty", "insert"))} empty vs ${fmt.ms(sq("big", "insert"))} at ${fmt.int(ROWS)}; lookup by (workspace_id, id) ${fmt.ms(sq("empty", "lookup"))} vs ${fmt.ms(sq("big", "lookup"))}`,
    );
    console.log(
      `30-day metrics SQL alone at ${fmt.int(ROWS)}: p50 ${fmt.ms(med.big.reads["metrics SQL"].p50)}, p95 ${fmt.ms(med.big.reads["metrics SQL"].p95)}`,
    );
    console.log(
      `load average at the end: ${(await import("node:os"))
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    for (const { node } of Object.values(nodes)) await node.stop().catch(() => {});
    for (const s of Object.values(schemas))
      await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
    await admin.end();
  }
}

await main();
