// Ingest throughput with traffic quality on and off: the built server with
// TALLY_TRAFFIC_QUALITY=on and =off, in interleaved rounds (on, off, on, off, …) so both see
// the same machine, each round a fresh data folder; wrk sends 100-event batches of realistic
// server-side Purchases (every event with its own id, person and client address from a
// rotating pool, a browser's user agent), so every event is judged and counted.
//
//   node bench/quality-ingest.mjs            (npm run bench -- quality-ingest)
//   BENCH_QUICK=1 node bench/quality-ingest.mjs
//   BENCH_PROFILE=1 node bench/quality-ingest.mjs   also profiles both servers (node --cpu-prof)
//
// Prints events/s and the server's CPU per event for both, and the ratio (target: on ≥ 95% of off).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { printProfiles } from "./lib/profile.mjs";
import { cpuSecondsOf } from "./lib/proc.mjs";
import { createWorkspace, startTally } from "./lib/server.mjs";
import { fmt, median, table, verdict } from "./lib/stats.mjs";
import { runWrk, uniqueRequestsLua } from "./lib/wrk.mjs";

const ROUNDS = QUICK ? 1 : 3;
const DURATION_S = QUICK ? 3 : 8;
const WARMUP_S = QUICK ? 1 : 2;
const CONNECTIONS = 16;

const EVENT_LUA = `
local UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
function event(id)
  local ip = "198.51." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return '{"event_name":"Purchase","event_time":' .. os.time() .. ',"event_id":"' .. id ..
    '","action_source":"website","user_data":{"email":"Shopper.' .. id .. '@Example.com","external_id":"crm-' .. id ..
    '","client_ip_address":"' .. ip .. '","client_user_agent":"' .. UA ..
    '"},"custom_data":{"value":99.99,"currency":"USD","order_id":"o-' .. id .. '"}}'
end
function batch(id, n)
  local parts = {}
  for k = 1, n do parts[k] = event(id .. "-" .. k) end
  return '{"data":[' .. table.concat(parts, ",") .. ']}'
end
`;

const PROFILE = process.env.BENCH_PROFILE === "1";
const profileDirs = { on: null, off: null };

async function round(quality) {
  const which = quality ? "on" : "off";
  if (PROFILE) profileDirs[which] ??= mkdtempSync(join(tmpdir(), `tally-prof-${which}-`));
  const server = await startTally({
    env: { TALLY_TRAFFIC_QUALITY: which },
    nodeArgs: PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${profileDirs[which]}`] : [],
  });
  try {
    const ws = await createWorkspace(server.url);
    const lua = uniqueRequestsLua({
      method: "POST",
      path: '"/v1/events"',
      body: "batch(id, 100)",
      prelude: EVENT_LUA,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${ws.secret_key}` },
    });
    await runWrk({ url: server.url, lua, connections: CONNECTIONS, durationS: WARMUP_S });
    const cpu0 = cpuSecondsOf(server.pid);
    const r = await runWrk({ url: server.url, lua, connections: CONNECTIONS, durationS: DURATION_S });
    const cpu = cpuSecondsOf(server.pid) - cpu0;
    return {
      eps: r.rps * 100,
      cpuMsPerEvent: (cpu * 1000) / (r.requests * 100),
      errors: r.non2xx + r.socketErrors,
    };
  } finally {
    await server.stop();
  }
}

printMachine("Ingest throughput, traffic quality on vs off (100-event batches, 16 connections)");
const on = [];
const off = [];
for (let i = 0; i < ROUNDS; i++) {
  on.push(await round(true));
  off.push(await round(false));
}
const eps = (xs) => median(xs.map((x) => x.eps));
const cpu = (xs) => median(xs.map((x) => x.cpuMsPerEvent));
const ratio = eps(on) / eps(off);
console.log(
  table([
    ["figure", "quality on", "quality off", "on ÷ off", "target", ""],
    [
      "events/s (median of rounds)",
      fmt.int(eps(on)),
      fmt.int(eps(off)),
      fmt.pct(ratio),
      "≥ 95%",
      verdict(ratio >= 0.95),
    ],
    ["CPU per event", fmt.ms(cpu(on)), fmt.ms(cpu(off)), fmt.pct(cpu(off) / cpu(on)), "", ""],
    [
      "rounds (events/s)",
      on.map((x) => fmt.int(x.eps)).join(" "),
      off.map((x) => fmt.int(x.eps)).join(" "),
      "",
      "",
      "",
    ],
    [
      "errors",
      String(on.reduce((n, x) => n + x.errors, 0)),
      String(off.reduce((n, x) => n + x.errors, 0)),
      "",
      "",
      "",
    ],
  ]),
);

if (PROFILE)
  for (const which of ["on", "off"]) {
    console.log(`\nprofile, quality ${which}:`);
    printProfiles(profileDirs[which]);
  }
