// The processes a benchmark measures: the built Tally server (`node bin/tally.js serve`) on a
// temporary data folder, and a bare node:http server that only reads and parses the JSON body
// (the ceiling: what Node's HTTP stack alone does on this machine).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const ADMIN_TOKEN = "adm_bench_token_0123456789abcdef";

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(child, url, output) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not start within 30 s:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopper(child) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  };
}

/**
 * The per-client limit (TALLY_RATE_LIMIT_PER_IP, 3000 requests a minute to /t/* and /c/* by
 * default) is off in every benchmark: the load generator is one client on loopback, so with
 * the limit on it would measure 429s. The per-key limit (TALLY_RATE_LIMIT_PER_SECOND) runs as
 * shipped: off (0). Either can be set for a run (`TALLY_RATE_LIMIT_PER_SECOND=5000 node
 * bench/core.mjs`). Said once per run with the values in force, so the figures are read for
 * what they are.
 */
export const BENCH_LIMITS = {
  TALLY_RATE_LIMIT_PER_SECOND: process.env.TALLY_RATE_LIMIT_PER_SECOND ?? "0",
  TALLY_RATE_LIMIT_PER_IP: process.env.TALLY_RATE_LIMIT_PER_IP ?? "0",
};
/**
 * Passed to servers `startTally` starts, only when set: `TALLY_SQLITE_SYNCHRONOUS=normal`
 * measures what the fsync before every reply costs (never the shipped setting; the run says so).
 */
const BENCH_SYNC = process.env.TALLY_SQLITE_SYNCHRONOUS
  ? { TALLY_SQLITE_SYNCHRONOUS: process.env.TALLY_SQLITE_SYNCHRONOUS }
  : {};
/** `BENCH_NODE_ARGS="--max-semi-space-size=32"`: node options for the measured server (an A/B of a V8 setting). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
/** `BENCH_TALLY_BIN=/elsewhere/bin/tally.js`: measure another build (e.g. a copy of the one before a change). */
const TALLY_BIN = process.env.BENCH_TALLY_BIN ?? join(ROOT, "bin/tally.js");
let limitsSaid = false;
function sayLimits(env) {
  if (limitsSaid) return;
  limitsSaid = true;
  const v = (k) => env[k] ?? BENCH_LIMITS[k] ?? BENCH_SYNC[k];
  const perKey = v("TALLY_RATE_LIMIT_PER_SECOND");
  console.log(
    `   (server limits: TALLY_RATE_LIMIT_PER_IP=${v("TALLY_RATE_LIMIT_PER_IP")}${v("TALLY_RATE_LIMIT_PER_IP") === "0" ? " (off: the load generator is one loopback client)" : ""}; ` +
      `TALLY_RATE_LIMIT_PER_SECOND=${perKey}${perKey === "0" ? " (off, the default)" : ""})`,
  );
  const sync = v("TALLY_SQLITE_SYNCHRONOUS");
  if (sync)
    console.log(
      `   (TALLY_SQLITE_SYNCHRONOUS=${sync}${sync === "full" ? ", as shipped" : ": not the shipped setting, a 200 is not fsynced"})`,
    );
}

/**
 * Starts the built server. `dataDir` reuses a prepared folder (kept afterwards); otherwise a
 * temporary one is made and removed by stop(). `nodeArgs` go to node (e.g. --cpu-prof).
 */
export async function startTally({ dataDir = null, env = {}, nodeArgs = [] } = {}) {
  nodeArgs = [...NODE_ARGS, ...nodeArgs];
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "tally-bench-"));
  const port = await freePort();
  sayLimits(env);
  const child = spawn(process.execPath, [...nodeArgs, TALLY_BIN, "serve"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      TALLY_ADMIN_TOKEN: ADMIN_TOKEN,
      TALLY_LOG_LEVEL: "warn",
      ...BENCH_LIMITS,
      ...BENCH_SYNC,
      ...env,
      TALLY_DATA_DIR: dir,
      TALLY_PORT: String(port),
      TALLY_HOST: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await waitUp(child, `${url}/readyz`, () => out);
  const stop = stopper(child);
  return {
    url,
    pid: child.pid,
    dataDir: dir,
    output: () => out,
    async stop() {
      await stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a workspace with the admin token: { id, public_key, secret_key }. */
export async function createWorkspace(url, name = "Bench") {
  const res = await fetch(`${url}/v1/workspaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`creating a workspace answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** A JSON POST with a key; throws unless 2xx. */
export async function post(url, key, path, body) {
  const res = await fetch(url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** The ceiling: bench/lib/ceiling-server.mjs in its own process, like Tally. */
export async function startCeiling() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "bench/lib/ceiling-server.mjs"), String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await waitUp(child, `${url}/healthz`, () => out);
  return { url, pid: child.pid, stop: stopper(child) };
}
