// The live feed and the metrics behind the dashboard, on the built server.
//
//   node bench/live.mjs                 (npm run bench -- live)
//   BENCH_QUICK=1 node bench/live.mjs   shorter runs
//   BENCH_LIVE_RATE=500 BENCH_LIVE_SUBSCRIBERS=1,10 BENCH_LIVE_SKIP_METRICS=1 …   other shapes
//   BENCH_LIVE_SQLITE_SYNCHRONOUS=normal …   commits without waiting for the disk (a 200 then
//     survives a process crash, not a power cut): separates the disk's share from the feed's
//
// 1. Event accepted → message received by a subscriber, while ingesting conversions at a
//    steady rate (2,000 events/s in batches of 20), with 1, 10 and 100 subscribers of the
//    workspace. "Accepted" is the server's `received_at` stamp (same machine clock), so the
//    figure includes the durable group commit; beside it, publish → subscriber (the hub and
//    the socket alone) from the message's `published_at`. Both stamps have millisecond
//    resolution. The subscribers run on a thread of their own (bench/lib/live-subscribers.mjs)
//    beside the load generator's: at 100 subscribers they read 200,000 frames a second, and on
//    a small machine part of what is measured is that thread keeping up. Beside both, request → subscriber: from the moment
//    this process started the POST carrying the event (its `event_id` names the send time),
//    which adds the client's own queueing and the HTTP round trip up to the server's stamp;
//    both of its ends are this process's clock (`performance.timeOrigin + performance.now()`,
//    shared by its threads), so it has sub-millisecond resolution.
//    Targets (on request → subscriber): p50 < 5 ms, p99 < 25 ms. The live-feed connection
//    caps (TALLY_LIVE_MAX_PER_CLIENT, _PER_WORKSPACE) are raised to the subscriber count: the
//    subscribers all come from this one loopback address.
// 2. GET /v1/metrics for 30 days by hour over 5 M events: rollup rows written straight into
//    the SQLite file (720 hourly rows, 43,200 per-minute rows), then timed through the store
//    (rollups_hour, and the same answer summed from rollups_minute) and over HTTP.
//    Target: < 50 ms.
import Database from "better-sqlite3";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { clock } from "./lib/live-subscribers.mjs";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { cpuSecondsOf } from "./lib/proc.mjs";
import { createWorkspace, post, ROOT, startTally } from "./lib/server.mjs";
import { fmt, quantile, table, verdict } from "./lib/stats.mjs";

const RATE = Number(process.env.BENCH_LIVE_RATE ?? 2000); // events per second
const BATCH = 20;
const SECONDS = QUICK ? 3 : 6;
const WARMUP_S = 1;
const SUBSCRIBERS = (process.env.BENCH_LIVE_SUBSCRIBERS ?? "1,10,100").split(",").map(Number);

printMachine("bench/live — live feed latency and metrics queries");
await liveLatency();
if (process.env.BENCH_LIVE_SKIP_METRICS !== "1") await metricsQueries();

async function liveLatency() {
  const sync = process.env.BENCH_LIVE_SQLITE_SYNCHRONOUS ?? "full";
  console.log(
    `\n-- accepted → subscriber, ingesting ${fmt.int(RATE)} conversions/s for ${SECONDS} s (batches of ${BATCH}, SQLite synchronous=${sync})`,
  );
  const rows = [
    [
      "subscribers",
      "delivered",
      "request→sub p50",
      "p99",
      "accepted→sub p50",
      "p99",
      "max",
      "publish→sub p50",
      "p99",
      "server CPU",
      "bench CPU",
      "target",
    ],
  ];
  const sqliteEnv = process.env.BENCH_LIVE_SQLITE_SYNCHRONOUS
    ? { TALLY_SQLITE_SYNCHRONOUS: process.env.BENCH_LIVE_SQLITE_SYNCHRONOUS }
    : {};
  const nodeArgs = (process.env.BENCH_LIVE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  for (const n of SUBSCRIBERS) {
    const env = {
      ...sqliteEnv,
      TALLY_LIVE_MAX_PER_CLIENT: String(Math.max(20, n)),
      TALLY_LIVE_MAX_PER_WORKSPACE: String(Math.max(100, n)),
    };
    const tally = await startTally({ env, nodeArgs });
    try {
      const ws = await createWorkspace(tally.url, `Live ${n}`);
      const cpu0 = [cpuSecondsOf(tally.pid), process.cpuUsage()];
      const t0 = performance.now();
      const r = await oneRun(tally.url, ws, n);
      const secs = (performance.now() - t0) / 1000;
      const serverCpu = (cpuSecondsOf(tally.pid) - cpu0[0]) / secs;
      const used = process.cpuUsage(cpu0[1]);
      const benchCpu = (used.user + used.system) / 1e6 / secs;
      const ok = r.reqP50 !== null && r.reqP50 < 5 && r.reqP99 < 25;
      rows.push([
        n,
        `${fmt.int(r.delivered)} of ${fmt.int(r.expected)}`,
        fmt.ms(r.reqP50),
        fmt.ms(r.reqP99),
        fmt.ms(r.p50),
        fmt.ms(r.p99),
        fmt.ms(r.max),
        fmt.ms(r.hubP50),
        fmt.ms(r.hubP99),
        fmt.pct(serverCpu),
        fmt.pct(benchCpu),
        verdict(ok),
      ]);
    } finally {
      await tally.stop();
    }
  }
  console.log(table(rows));
  console.log("   (server / bench CPU: share of one core used during the run, all threads)");
}

async function oneRun(url, ws, n) {
  const wsUrl = `${url.replace(/^http/, "ws")}/v1/live?token=${ws.secret_key}`;
  const total = RATE * SECONDS;
  // seq → when its POST started, on the clock the subscribers' thread shares (sub-ms).
  const shared = new SharedArrayBuffer(8 * total);
  const sentAt = new Float64Array(shared);
  const readers = new Worker(new URL("./lib/live-subscribers.mjs", import.meta.url), {
    workerData: { wsUrl, n, sentAt: shared },
  });
  const message = () =>
    new Promise((resolve, reject) => {
      readers.once("message", resolve);
      readers.once("error", reject);
    });
  await message(); // every socket open

  const started = Date.now();
  readers.postMessage({ measureFrom: started + WARMUP_S * 1000 });
  let sent = 0;
  let seq = 0;
  const inflight = new Set();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
    while (sent < due) {
      const data = [];
      const at = clock();
      for (let k = 0; k < BATCH; k++, seq++) {
        sentAt[seq] = at;
        data.push({
          event_name: "Purchase",
          event_time: Math.floor(Date.now() / 1000),
          event_id: `o-${seq}`,
          user_data: { anonymous_id: `a-${seq % 5000}` },
          custom_data: { value: 10 + (seq % 90), currency: "USD" },
        });
      }
      const p = post(url, ws.secret_key, "/v1/events", { data }).finally(() => inflight.delete(p));
      inflight.add(p);
      sent += BATCH;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  // Let the last messages arrive.
  const expected = sent * n;
  const done = message();
  readers.postMessage({ finish: true, expected, waitMs: 10_000 });
  const { delivered, lat, hub, fromRequest } = await done;
  await readers.terminate();
  return {
    expected,
    delivered,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    max: lat.length ? lat.reduce((a, b) => Math.max(a, b), -Infinity) : null,
    hubP50: quantile(hub, 0.5),
    hubP99: quantile(hub, 0.99),
    reqP50: quantile(fromRequest, 0.5),
    reqP99: quantile(fromRequest, 0.99),
  };
}

async function metricsQueries() {
  const EVENTS = 5_000_000;
  const HOURS = 30 * 24;
  console.log(
    `\n-- metrics for 30 days by hour over ${fmt.int(EVENTS)} events (${HOURS} hourly rows, ${fmt.int(HOURS * 60)} per-minute rows)`,
  );
  // A real workspace on a real data folder: made through the API, then its rollups written in.
  const first = await startTally({ dataDir: null });
  const dataDir = first.dataDir;
  const ws = await createWorkspace(first.url, "Metrics");
  // Stopped without stop(), which would remove the folder: it is reused below, removed at the end.
  await stopKeeping(first);

  const now = Date.now();
  const HOUR = 3_600_000;
  const firstHour = now - (now % HOUR) - (HOURS - 1) * HOUR;
  const histogram = (scale) =>
    JSON.stringify(
      Array.from({ length: 35 }, (_, i) => (i >= 2 && i <= 9 ? Math.round(scale * (10 - i)) : 0)),
    );
  const db = new Database(join(dataDir, "tally.db"));
  const cols =
    "workspace_id, start, received, accepted, conversions, value, duplicates, rejected, clicks, impressions, latency, pipeline";
  const insMinute = db.prepare(
    `INSERT OR REPLACE INTO rollups_minute (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insHour = db.prepare(
    `INSERT OR REPLACE INTO rollups_hour (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let written = 0;
  db.transaction(() => {
    for (let h = 0; h < HOURS; h++) {
      const hourStart = firstHour + h * HOUR;
      const hourEvents = Math.floor(((h + 1) * EVENTS) / HOURS) - Math.floor((h * EVENTS) / HOURS);
      const sum = {
        received: 0,
        accepted: 0,
        conversions: 0,
        value: 0,
        duplicates: 0,
        rejected: 0,
        clicks: 0,
      };
      for (let m = 0; m < 60; m++) {
        const received = Math.floor(((m + 1) * hourEvents) / 60) - Math.floor((m * hourEvents) / 60);
        const rejected = Math.floor(received / 100);
        const duplicates = Math.floor(received / 50);
        const accepted = received - rejected;
        const conversions = Math.floor(accepted / 4);
        const value = conversions * 42.5;
        const clicks = conversions * 10;
        insMinute.run(
          ws.id,
          hourStart + m * 60_000,
          received,
          accepted,
          conversions,
          value,
          duplicates,
          rejected,
          clicks,
          0,
          histogram(conversions / 20),
          histogram(conversions / 20),
        );
        sum.received += received;
        sum.accepted += accepted;
        sum.conversions += conversions;
        sum.value += value;
        sum.duplicates += duplicates;
        sum.rejected += rejected;
        sum.clicks += clicks;
      }
      insHour.run(
        ws.id,
        hourStart,
        sum.received,
        sum.accepted,
        sum.conversions,
        sum.value,
        sum.duplicates,
        sum.rejected,
        sum.clicks,
        0,
        histogram(sum.conversions / 20),
        histogram(sum.conversions / 20),
      );
      written += sum.received;
    }
  })();
  db.close();
  if (written !== EVENTS) throw new Error(`wrote ${written} events, meant ${EVENTS}`);

  const from = firstHour;
  const to = now + 1;
  const runs = QUICK ? 10 : 30;
  const rows = [["query", "rows read", "buckets", "p50", "p99", "target"]];

  // Through the store, as the server reads it (its reader connection, JSON histograms and all).
  const { loadConfig } = await import(join(ROOT, "dist/src/config/config.js"));
  const { openStore } = await import(join(ROOT, "dist/src/open-store.js"));
  const { aggregateBuckets } = await import(join(ROOT, "dist/src/monitoring/buckets.js"));
  const store = await openStore(
    loadConfig({ TALLY_DATA_DIR: dataDir, TALLY_ADMIN_TOKEN: "x".repeat(32), TALLY_LOG_LEVEL: "silent" }),
  );
  const time = async (fn) => {
    const ts = [];
    let out;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      out = await fn();
      ts.push(performance.now() - t0);
    }
    return { out, p50: quantile(ts, 0.5), p99: quantile(ts, 0.99) };
  };
  const byHour = await time(() => store.metrics(ws.id, from, to, "hour"));
  const check = byHour.out.reduce((s, b) => s + b.received, 0);
  if (check !== EVENTS) throw new Error(`the hourly buckets hold ${check} events, not ${EVENTS}`);
  rows.push([
    "store: by hour from rollups_hour",
    fmt.int(HOURS),
    byHour.out.length,
    fmt.ms(byHour.p50),
    fmt.ms(byHour.p99),
    verdict(byHour.p99 < 50),
  ]);
  const byDay = await time(() => store.metrics(ws.id, from, to, "day"));
  rows.push([
    "store: by day from rollups_hour",
    fmt.int(HOURS),
    byDay.out.length,
    fmt.ms(byDay.p50),
    fmt.ms(byDay.p99),
    verdict(byDay.p99 < 50),
  ]);
  const fromMinutes = await time(async () =>
    aggregateBuckets(await store.metrics(ws.id, from, to, "minute"), from, to, "hour"),
  );
  rows.push([
    "store: by hour summed from rollups_minute",
    fmt.int(HOURS * 60),
    fromMinutes.out.length,
    fmt.ms(fromMinutes.p50),
    fmt.ms(fromMinutes.p99),
    verdict(fromMinutes.p99 < 50),
  ]);
  const live = await time(() => store.metrics(ws.id, now - (now % HOUR), now + 1, "hour"));
  rows.push([
    "store: this hour (the live metrics message)",
    1,
    live.out.length,
    fmt.ms(live.p50),
    fmt.ms(live.p99),
    verdict(live.p99 < 50),
  ]);
  await store.close();

  // Over HTTP: auth, query, JSON.
  const server = await startTally({ dataDir });
  try {
    const path = `/v1/metrics?bucket=hour&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const http = await time(async () => {
      const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${ws.secret_key}` } });
      if (!res.ok) throw new Error(`GET /v1/metrics answered ${res.status}`);
      return (await res.json()).buckets;
    });
    rows.push([
      "HTTP: GET /v1/metrics?bucket=hour, 30 days",
      fmt.int(HOURS),
      http.out.length,
      fmt.ms(http.p50),
      fmt.ms(http.p99),
      verdict(http.p99 < 50),
    ]);
  } finally {
    await server.stop();
    const { rmSync } = await import("node:fs");
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(table(rows));
  console.log(`   (${runs} runs each; p99 of so few runs is the slowest but one or so)`);
}

/** Stops a server started by startTally() without removing its data folder. */
async function stopKeeping(server) {
  process.kill(server.pid, "SIGTERM");
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(server.pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the server did not stop");
}
