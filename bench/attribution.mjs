// Attribution: the tracking-link redirect, and what attribution costs as the store grows.
//
//   node bench/attribution.mjs                 (npm run bench -- attribution)
//   BENCH_QUICK=1 node bench/attribution.mjs   100 k and 1 M touches instead of 1 M and 10 M, shorter runs
//
// 1. GET /c/{id}: req/s at 50 connections (wrk, median of 3 runs) against the built server;
//    p50/p99 per request from a Node probe at 50 connections and at 1 (the service time).
// 2. A store of 1 M, then 10 M touches over 1 M persons, written directly into SQLite. For each:
//    the attribution step per conversion (touchesOf + attributeAll of the built modules, for
//    random persons: p50, p99); the commit stage per conversion in the writer alone; and ingest
//    throughput through the server with attribution on (conversions of persons with touches)
//    and off (conversions of new persons), 100-event batches, durable.
//    BENCH_ATTRIBUTION_SIZES=1000000,5000000 chooses other sizes.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { cpuSecondsOf } from "./lib/proc.mjs";
import { createWorkspace, post, ROOT, startTally } from "./lib/server.mjs";
import { fmt, median, medianRun, quantile, table, verdict } from "./lib/stats.mjs";
import { ANON_PREFIX, personId, TouchStore } from "./lib/touch-store.mjs";
import { latencyProbe } from "./lib/probe.mjs";
import { runWrk, uniqueRequestsLua } from "./lib/wrk.mjs";

const dist = (p) => import(join(ROOT, "dist/src", p));
const { openDatabase, migrate } = await dist("storage/sqlite/migrate.js");
const { SqliteCommitTx } = await dist("storage/sqlite/sqlite-commit-tx.js");
const { attributeAll } = await dist("attribution/index.js");
const { ATTRIBUTION_TOUCH_LIMIT, commitEvents } = await dist("commit/index.js");
const { RollupAccumulator } = await dist("monitoring/rollups.js");
const { SqliteCreditRollupWriter } = await dist("storage/sqlite/credit-rollup.js");

/** The writer thread's commit transaction on the store's file, without the thread. */
function commitTxOn(path, synchronous) {
  const db = openDatabase(path, synchronous);
  migrate(db);
  return { db, tx: new SqliteCommitTx(db), credits: new SqliteCreditRollupWriter(db) };
}
const { newId } = await dist("domain/ids.js");

const RUNS = QUICK ? 1 : 3;
const DURATION_S = QUICK ? 3 : 6;
const WARMUP_S = QUICK ? 0 : 2;
const PERSONS = QUICK ? 100_000 : 1_000_000;
const SIZES = process.env.BENCH_ATTRIBUTION_SIZES
  ? process.env.BENCH_ATTRIBUTION_SIZES.split(",").map(Number)
  : QUICK
    ? [100_000, 1_000_000]
    : [1_000_000, 10_000_000];
const SAMPLES = QUICK ? 5_000 : 20_000;
const DAY_MS = 86_400_000;
const WINDOWS = { clickWindowDays: 30, viewWindowDays: 1 };

async function measure(server, lua, connections = 50) {
  if (WARMUP_S > 0) await runWrk({ url: server.url, lua, connections, durationS: WARMUP_S });
  const cpu0 = cpuSecondsOf(server.pid);
  const runs = [];
  for (let i = 0; i < RUNS; i++)
    runs.push(await runWrk({ url: server.url, lua, connections, durationS: DURATION_S }));
  const cpu = cpuSecondsOf(server.pid) - cpu0;
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  return {
    ...medianRun(runs),
    rps: median(runs.map((r) => r.rps)),
    runs: runs.map((r) => r.rps),
    cpuMsPerRequest: (cpu * 1000) / requests,
    errors: runs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0),
  };
}

async function redirect() {
  const tally = await startTally();
  try {
    const ws = await createWorkspace(tally.url);
    const link = await post(tally.url, ws.secret_key, "/v1/links", {
      destination_url: "https://shop.example/landing?utm_source=meta",
      platform: "meta",
      campaign: "Spring",
    });
    const lua = uniqueRequestsLua({ method: "GET", path: `"/c/${link.id}?fbclid=" .. id` });
    const r = await measure(tally, lua);
    // Latency per request from a Node client (lib/probe.mjs): the service time at 1
    // connection, the latency under load at 50.
    const make = (i) => ({ method: "GET", path: `/c/${link.id}?fbclid=probe${i}` });
    r.one = await latencyProbe({ url: tally.url, connections: 1, durationS: DURATION_S, make });
    r.fifty = await latencyProbe({ url: tally.url, connections: 50, durationS: DURATION_S, make });
    // Let the clicks recorded after the redirects finish, and count them.
    await new Promise((res) => setTimeout(res, 1000));
    const m = await (
      await fetch(`${tally.url}/v1/metrics?bucket=day`, {
        headers: { authorization: `Bearer ${ws.secret_key}` },
      })
    ).json();
    const clicks = m.buckets.reduce((a, b) => a + b.clicks, 0);
    console.log(
      `   GET /c/{id}, probe: 1 connection p50 ${fmt.ms(r.one.p50)}, p99 ${fmt.ms(r.one.p99)} (${fmt.int(r.one.rps)} req/s); 50 connections p50 ${fmt.ms(r.fifty.p50)}, p99 ${fmt.ms(r.fifty.p99)} (${fmt.int(r.fifty.rps)} req/s)`,
    );
    console.log(
      `   GET /c/{id}, wrk, 50 connections: ${fmt.int(r.rps)} req/s (runs ${r.runs.map(fmt.int).join(", ")}), p50 ${fmt.ms(r.p50)}, p99 ${fmt.ms(r.p99)}, CPU ${fmt.ms(r.cpuMsPerRequest)}/request; ${fmt.int(clicks)} clicks recorded, ${fmt.int(r.errors)} errors`,
    );
    return r;
  } finally {
    await tally.stop();
  }
}

/** touchesOf + attributeAll for random persons, as the commit does for each conversion. */
function attributionStep(store) {
  const writer = commitTxOn(store.path, "normal");
  const now = Date.now();
  const lookback = Math.max(WINDOWS.clickWindowDays, WINDOWS.viewWindowDays) * DAY_MS;
  const times = [];
  let read = 0;
  let credited = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const person = personId(Math.floor(Math.random() * store.persons));
    const t0 = process.hrtime.bigint();
    const touches = writer.tx.touchesOf(store.workspaceId, person, now - lookback, now, ATTRIBUTION_TOUCH_LIMIT);
    const credits = attributeAll(touches, now, WINDOWS);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    read += touches.length;
    credited += credits.linear.length;
  }
  writer.db.close();
  return {
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    touchesRead: read / SAMPLES,
    eligible: credited / SAMPLES,
  };
}

/**
 * The commit stage alone (dedup → identify → attribute → persist, in the writer, one
 * transaction and one fsync per 100 conversions, as the server's writer thread runs it): µs
 * per conversion of persons with touches ("on") and of new persons ("off"). Without HTTP,
 * parsing and the main thread, this is where attribution's own cost shows.
 */
async function commitStage(store) {
  const writer = commitTxOn(store.path, "full");
  const ctx = { rollups: new RollupAccumulator(), dedupWindowMs: 7 * DAY_MS, currencyOf: () => "USD" };
  const batch = (attributed) => {
    const now = Date.now();
    return Array.from({ length: 100 }, () => {
      const anon = attributed
        ? `${ANON_PREFIX}${String(Math.floor(Math.random() * store.persons)).padStart(8, "0")}`
        : `new-${newId("x")}`;
      const event = {
        id: newId("evt"),
        workspaceId: store.workspaceId,
        eventName: "Purchase",
        isConversion: true,
        eventTime: now,
        receivedAt: now,
        eventId: newId("e"),
        orderId: null,
        actionSource: null,
        eventSourceUrl: null,
        value: 42.5,
        currency: "USD",
        user: { anonymous_id: anon },
        identifiers: [{ kind: "anonymous_id", value: anon }],
        customData: {},
        consent: null,
        testEventCode: null,
        touch: null,
        warnings: [],
      };
      return { event, windows: WINDOWS, source: "server" };
    });
  };
  const perEvent = { on: [], off: [], rollup: [] };
  for (let round = 0; round < (QUICK ? 10 : 40); round++) {
    for (const mode of ["on", "off"]) {
      const items = batch(mode === "on");
      const t0 = process.hrtime.bigint();
      writer.db.exec("BEGIN IMMEDIATE");
      await commitEvents(writer.tx, items, ctx);
      ctx.rollups.drain();
      // The credit rollup, as the writer thread writes it before COMMIT.
      const t1 = process.hrtime.bigint();
      writer.credits.write(writer.tx.creditRollup.drain());
      if (mode === "on") perEvent.rollup.push(Number(process.hrtime.bigint() - t1) / 1e6 / items.length);
      writer.db.exec("COMMIT");
      writer.credits.endGroup(true);
      perEvent[mode].push(Number(process.hrtime.bigint() - t0) / 1e6 / items.length);
    }
  }
  writer.db.close();
  return { on: median(perEvent.on), off: median(perEvent.off), rollup: median(perEvent.rollup) };
}

const CONVERSIONS_LUA = (persons, attributed) => `
function conversion(id)
  local anon = ${attributed ? `string.format("${ANON_PREFIX}%08d", math.random(0, ${persons - 1}))` : '"new-" .. id'}
  return '{"event_name":"Purchase","event_time":' .. os.time() .. ',"event_id":"' .. id ..
    '","user_data":{"anonymous_id":"' .. anon .. '"},"custom_data":{"value":42.5,"currency":"USD"}}'
end
function batch(id, n)
  local parts = {}
  for k = 1, n do parts[k] = conversion(id .. "-" .. k) end
  return '{"data":[' .. table.concat(parts, ",") .. ']}'
end
`;

async function ingest(store, attributed) {
  const tally = await startTally({ dataDir: store.dataDir });
  try {
    const lua = uniqueRequestsLua({
      method: "POST",
      path: '"/v1/events"',
      body: "batch(id, 100)",
      prelude: CONVERSIONS_LUA(store.persons, attributed),
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${store.secretKey}` },
    });
    return await measure(tally, lua);
  } finally {
    await tally.stop();
  }
}

async function main() {
  printMachine("attribution: redirect latency, and attribution cost as the store grows");
  console.log(`   median of ${RUNS} run(s) of ${DURATION_S} s after a ${WARMUP_S} s warm-up, 50 connections`);
  const link = await redirect();

  const dataDir = mkdtempSync(join(tmpdir(), "tally-bench-store-"));
  const rows = [
    [
      "touches",
      "db size",
      "step p50",
      "step p99",
      "read",
      "eligible",
      "commit on",
      "commit off",
      "ingest on (ev/s)",
      "ingest off (ev/s)",
      "on / off",
      "CPU/ev on",
      "CPU/ev off",
    ],
  ];
  try {
    const started = Date.now();
    const store = TouchStore.create(dataDir, PERSONS);
    store.dataDir = dataDir;
    console.log(
      `   store: schema v${store.schemaVersion}, ${fmt.int(PERSONS)} persons with an anonymous id (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    for (const size of SIZES) {
      const t0 = Date.now();
      let last = 0;
      store.grow(size, (n) => {
        if (n - last >= 1_000_000 || (n === size && n !== last)) {
          last = n;
          console.log(`   … ${fmt.int(n)} touches (${fmt.int(n / ((Date.now() - t0) / 1000 || 1))} rows/s)`);
        }
      });
      const dbMb = statSync(store.path).size / 2 ** 20;
      const step = attributionStep(store);
      console.log(
        `   ${fmt.int(size)} touches: attribution step p50 ${fmt.ms(step.p50)}, p99 ${fmt.ms(step.p99)}, mean ${fmt.ms(step.mean)}; ${step.touchesRead.toFixed(1)} touches read, ${step.eligible.toFixed(1)} eligible per conversion`,
      );
      const commit = await commitStage(store);
      console.log(
        `   ${fmt.int(size)} touches: commit stage ${fmt.ms(commit.on)} per conversion with attribution (of which the credit rollup's write ${fmt.ms(commit.rollup)}), ${fmt.ms(commit.off)} without`,
      );
      const on = await ingest(store, true);
      const off = await ingest(store, false);
      console.log(
        `   ${fmt.int(size)} touches: ingest with attribution ${fmt.int(on.rps * 100)} events/s, without ${fmt.int(off.rps * 100)} events/s`,
      );
      rows.push([
        fmt.int(size),
        fmt.mb(dbMb),
        fmt.ms(step.p50),
        fmt.ms(step.p99),
        step.touchesRead.toFixed(1),
        step.eligible.toFixed(1),
        fmt.ms(commit.on),
        fmt.ms(commit.off),
        fmt.int(on.rps * 100),
        fmt.int(off.rps * 100),
        fmt.pct(on.rps / off.rps),
        fmt.ms(on.cpuMsPerRequest / 100),
        fmt.ms(off.cpuMsPerRequest / 100),
      ]);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  console.log(
    "\n" +
      table([
        ["figure", "value", "target", ""],
        ["GET /c/{id}: req/s", fmt.int(link.rps), "", ""],
        ["GET /c/{id}, 50 conn.: p50 (probe)", fmt.ms(link.fifty.p50), "", ""],
        ["GET /c/{id}, 50 conn.: p99 (probe)", fmt.ms(link.fifty.p99), "< 2 ms", verdict(link.fifty.p99 < 2)],
        ["GET /c/{id}, 50 conn.: p50 / p99 (wrk)", `${fmt.ms(link.p50)} / ${fmt.ms(link.p99)}`, "", ""],
        [
          "GET /c/{id}, 1 conn.: p50 / p99 (probe)",
          `${fmt.ms(link.one.p50)} / ${fmt.ms(link.one.p99)}`,
          "",
          "",
        ],
        ["GET /c/{id}: CPU per request", fmt.ms(link.cpuMsPerRequest), "", ""],
      ]).replace(/^/gm, "   "),
  );
  console.log("\n" + table(rows).replace(/^/gm, "   "));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
