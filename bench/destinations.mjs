// Destinations benchmark: the built server (node bin/tally.js serve) as a child process and a
// fake Meta Conversions API in this process, on loopback.
//
// 1. Delivery latency: single-event requests one after another; for each event, the time from
//    the acknowledgement (the 200 of POST /v1/events) to the fake receiving it. Target p50 < 100 ms.
// 2. Outbox throughput: a backlog is ingested with the outbox off, then the server restarts with
//    it on and drains to the fake at 1000 events per request: once alone, once while ingestion
//    continues at a steady rate.
//    Target ≥ 20,000 events/s delivered.
//
// Run: node scripts/build.mjs && node bench/destinations.mjs [--backlog 50000] [--latency 300] [--ingest-rate 1000]
//   BENCH_QUICK=1 node bench/destinations.mjs   10 k backlog, 100 latency samples
//   BENCH_DEST_STORE=postgres …   the same on PostgreSQL (TALLY_BENCH_DATABASE_URL, else
//     TALLY_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test; a private schema
//     is made and dropped)
//   BENCH_DEST_SKIP_LATENCY=1 …   throughput only; BENCH_DEST_SKIP_INGEST=1 …   drained alone only;
//     BENCH_DEST_SKIP_ALONE=1 …   drained while ingesting only (with the ingest requests' latency)
//   BENCH_DEST_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" …   node flags of the
//     draining server (a CPU profile of the drain, every thread)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { QUICK, printMachine } from "./lib/machine.mjs";
import { cpuSecondsOf } from "./lib/proc.mjs";
import { adminClient, schemaUrl } from "./lib/pg.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const BACKLOG = arg("backlog", QUICK ? 10_000 : 50_000);
const LATENCY_EVENTS = arg("latency", QUICK ? 100 : 300);
const INGEST_RATE = arg("ingest-rate", 1000);
const ADMIN = "adm_bench_token_0123456789";
const POSTGRES = process.env.BENCH_DEST_STORE === "postgres";

printMachine(`destinations: delivery latency and outbox throughput (${POSTGRES ? "PostgreSQL" : "SQLite"})`);

// ---- PostgreSQL: a private schema -----------------------------------------------------------

let dbUrl = null;
let dropSchema = async () => {};
if (POSTGRES) {
  const admin = await adminClient();
  if (!admin) process.exit(0);
  const schema = `tally_bench_dest_${Date.now().toString(36)}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  dbUrl = schemaUrl(schema);
  dropSchema = async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  };
}

// ---- fake Meta -----------------------------------------------------------------------------

const received = new Map(); // event_id → time received
let requests = 0;
let events = 0;
const fake = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const now = performance.now();
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    requests++;
    events += body.data.length;
    for (const e of body.data) if (!received.has(e.event_id)) received.set(e.event_id, now);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ events_received: body.data.length, messages: [], fbtrace_id: "bench" }));
  });
});
await new Promise((r) => fake.listen(0, "127.0.0.1", r));
const fakeUrl = `http://127.0.0.1:${fake.address().port}`;

// ---- the server ----------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), "tally-bench-dest-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;

async function startServer(env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(root, "bin/tally.js"), "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      TALLY_ADMIN_TOKEN: ADMIN,
      TALLY_LOG_LEVEL: "warn",
      TALLY_DATA_DIR: dataDir,
      TALLY_PORT: String(port),
      TALLY_RATE_LIMIT_PER_SECOND: "1000000",
      // The fake platform listens on loopback over plain http.
      TALLY_ALLOW_PRIVATE_ENDPOINTS: "1",
      TALLY_RATE_LIMIT_PER_IP: "0", // the load generator is one loopback client
      ...(dbUrl ? { TALLY_DATABASE_URL: dbUrl } : {}),
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { child, exited };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("tally did not start");
}

async function call(key, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

let seq = 0;
function purchase() {
  seq++;
  return {
    event_name: "Purchase",
    event_time: Math.floor(Date.now() / 1000),
    event_id: `bench-${seq}`,
    action_source: "website",
    event_source_url: "https://shop.example/thanks",
    user_data: {
      email: `user${seq}@example.com`,
      client_ip_address: "203.0.113.9",
      client_user_agent: "Mozilla/5.0 (bench)",
    },
    custom_data: { value: 19.99, currency: "USD" },
    consent: { ad_user_data: "granted" },
  };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
};
const fmt = (n) => n.toLocaleString("en-US", { maximumFractionDigits: 1 });

async function waitFor(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- 1. latency ----------------------------------------------------------------------------

let server = await startServer({ TALLY_OUTBOX: "true" });
const ws = await call(ADMIN, "POST", "/v1/workspaces", { name: "Bench" });
await call(ws.secret_key, "POST", "/v1/destinations", {
  type: "meta",
  name: "fake meta",
  config: { pixel_id: "1234567890", access_token: "bench", endpoint: fakeUrl },
});

const latencies = [];
const sendToReceive = [];
const latencyEvents = process.env.BENCH_DEST_SKIP_LATENCY === "1" ? 0 : LATENCY_EVENTS;
for (let i = 0; i < latencyEvents; i++) {
  const ev = purchase();
  const sent = performance.now();
  await call(ws.secret_key, "POST", "/v1/events", { data: [ev] });
  const acked = performance.now();
  await waitFor(() => received.has(ev.event_id), 10_000);
  latencies.push(received.get(ev.event_id) - acked);
  sendToReceive.push(received.get(ev.event_id) - sent);
  await new Promise((r) => setTimeout(r, 5));
}
if (latencyEvents > 0) {
  console.log(`delivery latency, ${latencyEvents} single events, healthy fake Meta:`);
  console.log(
    `  ack → fake received:     p50 ${fmt(pct(latencies, 0.5))} ms   p99 ${fmt(pct(latencies, 0.99))} ms   (target p50 < 100 ms)`,
  );
  console.log(
    `  request → fake received: p50 ${fmt(pct(sendToReceive, 0.5))} ms   p99 ${fmt(pct(sendToReceive, 0.99))} ms`,
  );
}

// ---- 2. throughput -------------------------------------------------------------------------

/** Ingests `n` events with the outbox off (so they pile up), then stops the server. */
async function buildBacklog(n) {
  server.child.kill("SIGTERM");
  await server.exited;
  server = await startServer({ TALLY_OUTBOX: "false" });
  const started = performance.now();
  const batches = [];
  for (let k = 0; k < n; k += 1000) batches.push(Array.from({ length: Math.min(1000, n - k) }, purchase));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length)
        await call(ws.secret_key, "POST", "/v1/events", { data: batches[next++] });
    }),
  );
  const secs = (performance.now() - started) / 1000;
  console.log(
    `  backlog: ${fmt(n)} events ingested with the outbox off in ${fmt(secs)} s (${fmt(n / secs)} events/s)`,
  );
  server.child.kill("SIGTERM");
  await server.exited;
  return batches.flat().map((e) => e.event_id);
}

/** Restarts with the outbox on and times the backlog's delivery, ingesting `rate` events/s meanwhile. */
async function drain(ids, rate) {
  const requestsBefore = requests;
  const eventsBefore = events;
  const nodeArgs = (process.env.BENCH_DEST_NODE_ARGS ?? "").split(" ").filter(Boolean);
  server = await startServer({ TALLY_OUTBOX: "true" }, nodeArgs);
  const started = performance.now();
  const cpu0 = cpuSecondsOf(server.child.pid);
  let draining = true;
  let ingested = 0;
  const ingestMs = [];
  const ingester = (async () => {
    // Paced ingestion in batches of 100, ten times a second.
    while (draining && rate > 0) {
      const tick = performance.now();
      const batch = Array.from({ length: Math.max(1, Math.round(rate / 10)) }, purchase);
      await call(ws.secret_key, "POST", "/v1/events", { data: batch });
      ingestMs.push(performance.now() - tick);
      ingested += batch.length;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - tick))));
    }
  })();
  await waitFor(() => ids.every((id) => received.has(id)), 600_000);
  const secs = (performance.now() - started) / 1000;
  const cpu = cpuSecondsOf(server.child.pid) - cpu0;
  draining = false;
  await ingester;
  const sent = events - eventsBefore;
  const reqs = requests - requestsBefore;
  console.log(
    `  ${fmt(ids.length)} backlog events delivered in ${fmt(secs)} s: ${fmt(ids.length / secs)} events/s   (target ≥ 20,000 events/s)`,
  );
  // CPU per delivery swings much less with the neighbours' load than the rate does.
  console.log(
    `  server CPU meanwhile: ${fmt(cpu)} s (all threads), ${fmt((cpu * 1e6) / ids.length)} µs per backlog event`,
  );
  console.log(
    `  sent meanwhile: ${fmt(sent)} events in ${fmt(reqs)} requests (${fmt(sent / reqs)} events/request); ingested meanwhile ${fmt(ingested)} (${fmt(ingested / secs)} events/s)`,
  );
  // What the drain costs the hot path: an ingest request waits for the writer's current work.
  if (ingestMs.length > 0)
    console.log(
      `  ingest requests meanwhile (${Math.max(1, Math.round(rate / 10))} events each): p50 ${fmt(pct(ingestMs, 0.5))} ms, p99 ${fmt(pct(ingestMs, 0.99))} ms, max ${fmt(Math.max(...ingestMs))} ms over ${ingestMs.length}`,
    );
}

if (process.env.BENCH_DEST_SKIP_ALONE !== "1") {
  console.log(`\noutbox throughput to the fake Meta, drained alone:`);
  await drain(await buildBacklog(BACKLOG), 0);
}
if (process.env.BENCH_DEST_SKIP_INGEST !== "1") {
  console.log(
    `\noutbox throughput to the fake Meta while ingestion continues at ${fmt(INGEST_RATE)} events/s:`,
  );
  await drain(await buildBacklog(BACKLOG), INGEST_RATE);
}

server.child.kill("SIGTERM");
await server.exited;
fake.close();
rmSync(dataDir, { recursive: true, force: true });
await dropSchema();
