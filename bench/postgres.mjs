// Ingestion throughput on PostgreSQL: one node, two nodes, and two nodes each pinned to its own
// core, against the bare node:http ceiling and the embedded SQLite store in the same run.
//
//   npm run bench -- postgres
//   node scripts/build.mjs && node bench/postgres.mjs [--duration 8] [--connections 50] [--rounds 3]
//     [--only ceiling,sqlite,pg,pg2,pinned] [--baseline-root DIR] [--profile DIR] [--shape merging|shop]
//
// Every scenario runs `--rounds` times (default 3) back to back and the median is printed; only
// the servers of the scenario being measured are up. Requests are single
// events (50 connections) and 100-event batches (half as many connections), fresh event ids
// each. `--shape merging` (the default, the shape every figure before it was measured with):
// each event pairs an external id and an anonymous id drawn apart from 100,000 each, so
// almost every event links two identity groups that were apart (a merge) and concurrent groups
// keep meeting on the same persons. `--shape shop`: a shop's returning customers, customer i
// always with anonymous id i (100,000 customers), so persons are found, not merged.
// `pinned`: on a 2-core machine `taskset` puts one node on CPU 0 and compares it with node A
// on CPU 0 plus node B on CPU 1 (PostgreSQL and wrk stay unpinned, sharing both cores).
// `--baseline-root` runs the PostgreSQL scenarios against another build of Tally too (a copy
// of the previous commit, built), scenario by scenario just before this one: before/after in
// the same run.
// `--profile DIR` writes a CPU profile of each one-node PostgreSQL server (node --cpu-prof).
// The database is TALLY_BENCH_DATABASE_URL, else TALLY_TEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test; a private schema per server set is made and dropped.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { printProfiles } from "./lib/profile.mjs";
import { ADMIN_TOKEN, BENCH_LIMITS, ROOT, createWorkspace, freePort, startCeiling } from "./lib/server.mjs";
import { runWrk } from "./lib/wrk.mjs";
import { median } from "./lib/stats.mjs";
import { withBenchSchema } from "./lib/pg.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const DURATION = Number(opt("duration", QUICK ? "3" : "8"));
const CONNECTIONS = Number(opt("connections", "50"));
const ROUNDS = Number(opt("rounds", QUICK ? "1" : "3"));
const ONLY = opt("only", null);
const BASELINE = opt("baseline-root", null);
const PROFILE = opt("profile", null);
const SHAPE = opt("shape", "merging");
if (SHAPE !== "merging" && SHAPE !== "shop") throw new Error(`--shape is merging or shop, not ${SHAPE}`);
const KEY = "5a".repeat(32);
const want = (s) => ONLY === null || ONLY.split(",").includes(s);

let taskset = false;
try {
  execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
  taskset = true;
} catch {
  // no taskset: the pinned scenarios are skipped
}

/** Starts `bin/tally.js serve` of `root`, on `cpu` (taskset) when given. */
async function startNode(root, env, { cpu = null, nodeArgs = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "tally-bench-"));
  const port = await freePort();
  const cmd = [process.execPath, ...nodeArgs, join(root, "bin/tally.js"), "serve"];
  const child = spawn(
    cpu === null ? cmd[0] : "taskset",
    cpu === null ? cmd.slice(1) : ["-c", String(cpu), ...cmd],
    {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH ?? "",
        TALLY_ADMIN_TOKEN: ADMIN_TOKEN,
        TALLY_ENCRYPTION_KEY: KEY,
        TALLY_LOG_LEVEL: "warn",
        TALLY_OUTBOX: "false",
        ...BENCH_LIMITS,
        ...env,
        TALLY_DATA_DIR: dataDir,
        TALLY_PORT: String(port),
        TALLY_HOST: "127.0.0.1",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
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
    if (i > 1200) throw new Error("tally did not start within 60 s");
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

function lua(secretKey, batch) {
  return `
local counter = 0
local tid = 0
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  tid = math.random(1, 1000000)
end
local headers = { ["Authorization"] = "Bearer ${secretKey}", ["Content-Type"] = "application/json" }
local function event(n)
  local t = os.time() - 5
  local customer = math.random(1, 100000)
  local visitor = ${SHAPE === "shop" ? "customer" : "math.random(1, 100000)"}
  return string.format('{"event_name":"Purchase","event_time":%d,"event_id":"b-%d-%d-%d-%d","action_source":"website","user_data":{"external_id":"u%d","anonymous_id":"a%d"},"custom_data":{"value":%d.5,"currency":"USD","order_id":"o-%d-%d-%d"}}',
    t, tid, counter, n, math.random(1, 1000000000), customer, visitor, math.random(1, 500), tid, counter, n)
end
function request()
  counter = counter + 1
  local parts = {}
  for i = 1, ${batch} do parts[i] = event(i) end
  return wrk.format("POST", "/v1/events", headers, '{"data":[' .. table.concat(parts, ",") .. ']}')
end
`;
}

const results = new Map(); // scenario name → rounds

async function measure(nodes, key, batch) {
  const conns = batch > 1 ? Math.max(2, CONNECTIONS / 2) : CONNECTIONS;
  const per = Math.max(1, Math.round(conns / nodes.length));
  const script = lua(key, batch);
  const rs = await Promise.all(
    nodes.map((n) => runWrk({ url: n.url, lua: script, connections: per, durationS: DURATION })),
  );
  const rps = rs.reduce((a, r) => a + (r.rps ?? 0), 0);
  return {
    rps,
    events: rps * batch,
    p99: Math.max(...rs.map((r) => r.p99 ?? NaN)),
    bad: rs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0),
  };
}

/**
 * Runs a set of servers (only this set is up while it is measured: idle nodes cost CPU too),
 * `ROUNDS` rounds of each batch size back to back, then stops it.
 */
async function runSet(name, start, batches = [1, 100]) {
  const nodes = await start();
  try {
    const key = nodes.ceiling ? "none" : (await createWorkspace(nodes[0].url)).secret_key;
    for (let round = 1; round <= ROUNDS; round++)
      for (const batch of batches) {
        const scenario = `${name} × ${batch}`;
        const r = await measure(nodes, key, batch);
        if (!results.has(scenario)) results.set(scenario, []);
        results.get(scenario).push(r);
        console.log(
          `     ${scenario}, round ${round}: ${Math.round(r.events)} events/s (${Math.round(r.rps)} req/s), p99 ${r.p99.toFixed(1)} ms${r.bad ? `, ${r.bad} non-2xx/errors` : ""}`,
        );
      }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

printMachine("PostgreSQL ingest: one node, two nodes, pinned");
console.log(
  `   events shaped as ${SHAPE === "shop" ? "a shop's returning customers (--shape shop: persons found, not merged)" : "merging identity groups (--shape merging: each event links an external id and an anonymous id drawn apart)"}`,
);
if (want("ceiling"))
  await runSet(
    "ceiling: bare node:http",
    async () => Object.assign([await startCeiling()], { ceiling: true }),
    [1],
  );
if (want("sqlite")) await runSet("sqlite, 1 node", async () => [await startNode(ROOT, {})]);
const builds = BASELINE
  ? [
      ["baseline ", BASELINE],
      ["", ROOT],
    ]
  : [["", ROOT]];
const kinds = [
  ["pg", "postgres, 1 node", [null], true],
  ["pg2", "postgres, 2 nodes", [null, null], false],
  ["pinned", "postgres, 1 node on CPU 0", [0], false],
  ["pinned", "postgres, 2 nodes on CPU 0 + CPU 1", [0, 1], false],
];
for (const [kind, name, cpus, profiled] of kinds) {
  if (!want(kind) || (kind === "pinned" && !taskset)) continue;
  // Baseline and this build one after the other, scenario by scenario: load drifting on a
  // shared machine hits both alike.
  for (const [label, root] of builds)
    await withBenchSchema("tally_bench", (url) => {
      const dir = join(PROFILE ?? "", label ? "baseline" : "current");
      if (PROFILE && profiled) mkdirSync(dir, { recursive: true });
      const nodeArgs = PROFILE && profiled ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
      return runSet(`${label}${name}`, () =>
        Promise.all(cpus.map((cpu) => startNode(root, { TALLY_DATABASE_URL: url }, { cpu, nodeArgs }))),
      );
    });
}

const rows = [...results.entries()].map(([scenario, rs]) => ({
  scenario,
  "events/s (median)": Math.round(median(rs.map((r) => r.events))),
  "req/s": Math.round(median(rs.map((r) => r.rps))),
  "p99 ms": median(rs.map((r) => r.p99)).toFixed(1),
  rounds: rs.map((r) => Math.round(r.events)).join(" / "),
  "non-2xx": rs.reduce((a, r) => a + r.bad, 0),
}));
console.log(
  `\n   medians of ${ROUNDS} round(s) of ${DURATION} s, ${CONNECTIONS} connections (batches: ${Math.max(2, CONNECTIONS / 2)})`,
);
console.table(rows);
const ev = (name) => rows.find((r) => r.scenario === name)?.["events/s (median)"];
for (const [label] of BASELINE ? [["baseline "], [""]] : [[""]]) {
  for (const batch of [1, 100]) {
    const one = ev(`${label}postgres, 1 node on CPU 0 × ${batch}`);
    const two = ev(`${label}postgres, 2 nodes on CPU 0 + CPU 1 × ${batch}`);
    if (one && two)
      console.log(`   ${label}pinned, × ${batch}: two nodes ${(two / one).toFixed(2)}× one node`);
  }
}
if (PROFILE) printProfiles(join(PROFILE, "current"), 20);
