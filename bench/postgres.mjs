// Ingestion throughput on PostgreSQL vs the embedded SQLite store, and one node vs two nodes
// on the same database, measured with wrk over loopback against the built server.
//
//   node scripts/build.mjs && node bench/postgres.mjs [--duration 10] [--connections 16] [--only pg2]
//
// Scenarios: single event per request and 100-event batches, on sqlite, pg (1 node) and pg2
// (2 nodes, one wrk per node, figures summed). Prints req/s, events/s and wrk's p50/p99 per
// scenario. The database is TALLY_BENCH_DATABASE_URL, else TALLY_TEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test; a private schema is made and dropped.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const DURATION = Number(opt("duration", "10"));
const CONNECTIONS = Number(opt("connections", "16"));
const ONLY = opt("only", null);
const DB_URL =
  process.env.TALLY_BENCH_DATABASE_URL ??
  process.env.TALLY_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const ADMIN = "adm_bench_token_0123456789";
const KEY = "5a".repeat(32);

try {
  execFileSync("wrk", ["--version"], { stdio: "ignore" });
} catch (err) {
  // wrk --version exits 1 but prints; only a missing binary is fatal
  if (err.code === "ENOENT") {
    console.error("bench/postgres.mjs needs wrk (apt-get install wrk)");
    process.exit(1);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startNode(env) {
  const dataDir = mkdtempSync(join(tmpdir(), "tally-bench-"));
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, "bin/tally.js"), "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      TALLY_ADMIN_TOKEN: ADMIN,
      TALLY_ENCRYPTION_KEY: KEY,
      TALLY_LOG_LEVEL: "warn",
      TALLY_RATE_LIMIT_PER_SECOND: "10000000",
      TALLY_RATE_LIMIT_PER_IP: "0", // the load generator is one loopback client
      TALLY_OUTBOX: "false",
      ...env,
      TALLY_DATA_DIR: dataDir,
      TALLY_PORT: String(port),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`tally exited: ${err}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // starting
    }
    if (i > 400) throw new Error("tally did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createWorkspace(url) {
  const r = await fetch(`${url}/v1/workspaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Bench" }),
  });
  if (r.status !== 201) throw new Error(`workspace: ${r.status} ${await r.text()}`);
  return (await r.json()).secret_key;
}

function luaScript(secretKey, batch) {
  // Every request carries fresh event ids; external ids repeat now and then, so identity
  // groups grow and some conversions find earlier touches of the same person.
  return `
local counter = 0
local tid = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  tid = tid or 0
  math.randomseed(os.time() + (tid or 0) * 7919)
end
local headers = { ["Authorization"] = "Bearer ${secretKey}", ["Content-Type"] = "application/json" }
local function event(n)
  local t = os.time() - 5
  return string.format('{"event_name":"Purchase","event_time":%d,"event_id":"b-%d-%d-%d-%d","action_source":"website","user_data":{"external_id":"u%d","anonymous_id":"a%d"},"custom_data":{"value":%d.5,"currency":"USD","order_id":"o-%d-%d-%d"}}',
    t, tid, counter, n, math.random(1, 1000000000), math.random(1, 100000), math.random(1, 100000), math.random(1, 500), tid, counter, n)
end
function request()
  counter = counter + 1
  local parts = {}
  for i = 1, ${batch} do parts[i] = event(i) end
  return wrk.format("POST", "/v1/events", headers, '{"data":[' .. table.concat(parts, ",") .. ']}')
end
`;
}

function runWrk(url, script, connections) {
  return new Promise((resolve, reject) => {
    const p = spawn("wrk", ["-t1", `-c${connections}`, `-d${DURATION}s`, "--latency", "-s", script, url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("exit", () => resolve(parseWrk(out)));
  });
}

function toMs(s) {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(out)?.[0] ?? "";
  return { rps, p50, p99, non2xx, errors, raw: out };
}

async function withSchema(fn) {
  const schema = `tally_bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: DB_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(DB_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  try {
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

const rows = [];
async function scenario(name, nodes, batch) {
  const key = await createWorkspace(nodes[0].url);
  const dir = mkdtempSync(join(tmpdir(), "tally-bench-lua-"));
  const script = join(dir, "post.lua");
  writeFileSync(script, luaScript(key, batch));
  const conns = batch > 1 ? Math.max(2, CONNECTIONS / 2) : CONNECTIONS;
  const per = Math.max(1, Math.round(conns / nodes.length));
  const results = await Promise.all(nodes.map((n) => runWrk(n.url, script, per)));
  rmSync(dir, { recursive: true, force: true });
  const rps = results.reduce((a, r) => a + r.rps, 0);
  const row = {
    scenario: name,
    batch,
    connections: per * nodes.length,
    "req/s": Math.round(rps),
    "events/s": Math.round(rps * batch),
    "p50 ms": Math.max(...results.map((r) => r.p50)).toFixed(1),
    "p99 ms": Math.max(...results.map((r) => r.p99)).toFixed(1),
    "non-2xx": results.reduce((a, r) => a + r.non2xx, 0),
  };
  rows.push(row);
  console.error(
    `${name} batch=${batch}: ${row["req/s"]} req/s, ${row["events/s"]} events/s, p50 ${row["p50 ms"]} ms, p99 ${row["p99 ms"]} ms${row["non-2xx"] ? `, ${row["non-2xx"]} non-2xx` : ""} ${results.map((r) => r.errors).join(" ")}`,
  );
}

const want = (s) => ONLY === null || ONLY.split(",").includes(s);

if (want("sqlite")) {
  const n = await startNode({});
  try {
    await scenario("sqlite, 1 node", [n], 1);
    await scenario("sqlite, 1 node", [n], 100);
  } finally {
    await n.stop();
  }
}
if (want("pg") || want("pg2")) {
  await withSchema(async (url) => {
    const env = { TALLY_DATABASE_URL: url };
    if (want("pg")) {
      const n = await startNode(env);
      try {
        await scenario("postgres, 1 node", [n], 1);
        await scenario("postgres, 1 node", [n], 100);
      } finally {
        await n.stop();
      }
    }
    if (want("pg2")) {
      const nodes = await Promise.all([startNode(env), startNode(env)]);
      try {
        await scenario("postgres, 2 nodes", nodes, 1);
        await scenario("postgres, 2 nodes", nodes, 100);
      } finally {
        await Promise.all(nodes.map((n) => n.stop()));
      }
    }
  });
}

console.table(rows);
