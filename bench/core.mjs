// Core ingest throughput: the built server against wrk on loopback, beside a bare node:http
// server that only parses the JSON body (the ceiling), on the same machine in the same run.
//
//   node bench/core.mjs                      (npm run bench -- core)
//   BENCH_QUICK=1 node bench/core.mjs        one short run per figure
//   BENCH_PROFILE=1 node bench/core.mjs      also profiles the server (node --cpu-prof): where time goes,
//                                            by function and by step of the ingest path, per event
//   BENCH_PROFILE_DIR=dir                    keeps the .cpuprofile files there (open them in Chrome DevTools)
//   BENCH_ONLY=single node bench/core.mjs    only some scenarios (single, batch100, pixel), e.g. to profile one
//
// Figures (median of 3 runs): single-event POST /v1/events, durable, 50 connections (req/s,
// % of ceiling; p50/p99 per request from a Node probe at 50 connections and at 1); 100-event
// batches at 16 connections (events/s); GET /t/p.gif (% of ceiling); the server's peak RSS
// under that load. Every event has its own event_id: none is a duplicate.
// Beside each figure, the server's CPU time per request (all threads, and by thread): on a
// shared machine the steadier measure of cost; its "share" is what the throughput share would
// be if both servers were CPU-bound. For POST /v1/events also the server's own latency
// histogram (`tally_ingest_seconds` on /metrics, request parsed → durable answer): the share
// answered within 20 and 50 ms and after 100 ms, free of the load generator's own queueing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { cpuSecondsOf, memoryOf, threadCpuDelta, threadCpuOf } from "./lib/proc.mjs";
import { printProfiles, printSteps } from "./lib/profile.mjs";
import { ADMIN_TOKEN, createWorkspace, startCeiling, startTally } from "./lib/server.mjs";
import { fmt, median, medianRun, table, verdict } from "./lib/stats.mjs";
import { latencyProbe } from "./lib/probe.mjs";
import { runWrk, uniqueRequestsLua } from "./lib/wrk.mjs";

const RUNS = QUICK ? 1 : 3;
const DURATION_S = QUICK ? 3 : 8;
const WARMUP_S = QUICK ? 0 : 2;
const CONNECTIONS = 50;
// 100-event batches: 16 senders keep 1600 events in flight, enough to keep the writer's
// group commit full without pushing latency past wrk's timeout.
const BATCH_CONNECTIONS = 16;
const PROFILE = process.env.BENCH_PROFILE === "1";
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : null;

// Area codes in service across the US (the events' phone numbers, see EVENT_LUA).
const AREA_CODES = [
  212, 213, 305, 310, 312, 404, 415, 469, 503, 512, 617, 646, 702, 718, 737, 773, 786, 813, 818, 917, 949,
  972,
];

// One realistic server-side Purchase: email and phone to normalize and hash, an order id for
// dedup, an anonymous id for identity. `id` is a Lua string unique to the request.
const EVENT_LUA = `
-- A valid US number per event (an area code in service, an exchange 200-999), so people do
-- not merge through one shared phone. Area codes drawn from 200-999 were not valid numbers 41 %
-- of the time, and libphonenumber then tries the 25 countries of +1 one by one: twice the cost
-- of a real customer's number.
local AREA = {${AREA_CODES.join(", ")}}
function phone()
  return string.format("+1 (%d) %d-%04d", AREA[math.random(1, #AREA)], 200 + math.random(0, 799), math.random(0, 9999))
end
local UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
function event(id)
  return '{"event_name":"Purchase","event_time":' .. os.time() .. ',"event_id":"' .. id ..
    '","action_source":"website","event_source_url":"https://shop.example/thanks",' ..
    '"user_data":{"email":"Shopper.' .. id .. '@Example.com","phone":"' .. phone() .. '","external_id":"crm-' .. id ..
    '","anonymous_id":"a-' .. id .. '","client_ip_address":"203.0.113.9","client_user_agent":"' .. UA ..
    '","fbp":"fb.1.1764426811.123456"},"custom_data":{"value":99.99,"currency":"USD","order_id":"o-' .. id .. '"}}'
end
function batch(id, n)
  local parts = {}
  for k = 1, n do parts[k] = event(id .. "-" .. k) end
  return '{"data":[' .. table.concat(parts, ",") .. ']}'
end
`;

const scenarios = (key, pk) => [
  {
    name: "single",
    title: "POST /v1/events, 1 event",
    eventsPerRequest: 1,
    lua: uniqueRequestsLua({
      method: "POST",
      path: '"/v1/events"',
      body: "batch(id, 1)",
      prelude: EVENT_LUA,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    }),
  },
  {
    name: "batch100",
    title: "POST /v1/events, 100 events",
    eventsPerRequest: 100,
    connections: BATCH_CONNECTIONS,
    lua: uniqueRequestsLua({
      method: "POST",
      path: '"/v1/events"',
      body: "batch(id, 100)",
      prelude: EVENT_LUA,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    }),
  },
  {
    name: "pixel",
    title: "GET /t/p.gif",
    eventsPerRequest: 1,
    lua: uniqueRequestsLua({
      method: "GET",
      path: `"/t/p.gif?k=${pk}&en=PageView&eid=" .. id .. "&aid=a-" .. id .. "&url=https%3A%2F%2Fshop.example%2F"`,
    }),
  },
];

/**
 * The server's own histogram of POST /v1/events (`tally_ingest_seconds`, from the request
 * parsed to its durable answer): cumulative counts by upper bound in seconds.
 */
async function ingestAcks(url) {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const counts = new Map();
  for (const line of (await res.text()).split("\n")) {
    if (!line.startsWith("tally_ingest_seconds_bucket{") || !line.includes('route="events"')) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le) counts.set(le, Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return counts;
}

const pct1 = (x) => `${(x * 100).toFixed(1)}%`;

/** Shares of the requests between two readings answered within 20 and 50 ms, and after 100 ms. */
function ackShares(before, after) {
  const d = (le) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const n = d("+Inf");
  if (n <= 0) return null;
  return { n, within20: d("0.02") / n, within50: d("0.05") / n, after100: 1 - d("0.1") / n };
}

/** Median of RUNS wrk runs, with the server's CPU time per request (all threads, and by thread). */
async function measure(server, lua, connections) {
  const url = server.url;
  if (WARMUP_S > 0) await runWrk({ url, lua, connections, durationS: WARMUP_S });
  const runs = [];
  const cpu0 = cpuSecondsOf(server.pid);
  const threads0 = threadCpuOf(server.pid);
  for (let i = 0; i < RUNS; i++) runs.push(await runWrk({ url, lua, connections, durationS: DURATION_S }));
  const cpu = cpuSecondsOf(server.pid) - cpu0;
  const threads = threadCpuDelta(threads0, threadCpuOf(server.pid));
  const m = medianRun(runs);
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const perRequest = (s) => (s * 1000) / requests;
  return {
    ...m,
    rps: median(runs.map((r) => r.rps)),
    runs: runs.map((r) => r.rps),
    cpuMsPerRequest: perRequest(cpu),
    threadMsPerRequest: {
      main: perRequest(threads.main),
      busiest: perRequest(threads.busiest),
      rest: perRequest(threads.rest),
    },
    errors: runs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0),
  };
}

function printTable(r, probe, mem, ceilMem) {
  const single = r.single;
  const batch = r.batch100;
  const pixel = r.pixel;
  const singleShare = single.tally.rps / single.ceiling.rps;
  const rows = [
    ["figure", "tally", "ceiling", "share", "target", ""],
    [
      "single event: req/s",
      fmt.int(single.tally.rps),
      fmt.int(single.ceiling.rps),
      fmt.pct(singleShare),
      "≥ 70%",
      verdict(singleShare >= 0.7),
    ],
    [
      "single event: CPU per request",
      fmt.ms(single.tally.cpuMsPerRequest),
      fmt.ms(single.ceiling.cpuMsPerRequest),
      fmt.pct(single.ceiling.cpuMsPerRequest / single.tally.cpuMsPerRequest),
      "",
      "",
    ],
    ["single event, 50 conn.: p50 (probe)", fmt.ms(probe.fifty.p50), "", "", "", ""],
    [
      "single event, 50 conn.: p99 (probe)",
      fmt.ms(probe.fifty.p99),
      "",
      "",
      "< 20 ms",
      verdict(probe.fifty.p99 < 20),
    ],
    [
      "single event, 50 conn.: p50 / p99 (wrk)",
      `${fmt.ms(single.tally.p50)} / ${fmt.ms(single.tally.p99)}`,
      `${fmt.ms(single.ceiling.p50)} / ${fmt.ms(single.ceiling.p99)}`,
      "",
      "",
      "",
    ],
    [
      "single event, 1 conn.: p50 / p99 (probe)",
      `${fmt.ms(probe.one.p50)} / ${fmt.ms(probe.one.p99)}`,
      "",
      "",
      "",
      "",
    ],
    [
      "100-event batch: events/s",
      fmt.int(batch.tally.rps * 100),
      fmt.int(batch.ceiling.rps * 100),
      fmt.pct(batch.tally.rps / batch.ceiling.rps),
      "≥ 100,000",
      verdict(batch.tally.rps * 100 >= 100_000),
    ],
    [
      "100-event batch: CPU per event",
      fmt.ms(batch.tally.cpuMsPerRequest / 100),
      fmt.ms(batch.ceiling.cpuMsPerRequest / 100),
      fmt.pct(batch.ceiling.cpuMsPerRequest / batch.tally.cpuMsPerRequest),
      "",
      "",
    ],
    [
      "100-event batch: p50 / p99",
      `${fmt.ms(batch.tally.p50)} / ${fmt.ms(batch.tally.p99)}`,
      `${fmt.ms(batch.ceiling.p50)} / ${fmt.ms(batch.ceiling.p99)}`,
      "",
      "",
      "",
    ],
    [
      "GET /t/p.gif: req/s",
      fmt.int(pixel.tally.rps),
      fmt.int(pixel.ceiling.rps),
      fmt.pct(pixel.tally.rps / pixel.ceiling.rps),
      "≥ 60%",
      verdict(pixel.tally.rps / pixel.ceiling.rps >= 0.6),
    ],
    [
      "GET /t/p.gif: CPU per request",
      fmt.ms(pixel.tally.cpuMsPerRequest),
      fmt.ms(pixel.ceiling.cpuMsPerRequest),
      fmt.pct(pixel.ceiling.cpuMsPerRequest / pixel.tally.cpuMsPerRequest),
      "",
      "",
    ],
    [
      "GET /t/p.gif: p50 / p99",
      `${fmt.ms(pixel.tally.p50)} / ${fmt.ms(pixel.tally.p99)}`,
      `${fmt.ms(pixel.ceiling.p50)} / ${fmt.ms(pixel.ceiling.p99)}`,
      "",
      "",
      "",
    ],
    [
      "peak RSS (VmHWM)",
      fmt.mb(mem?.hwmMb),
      fmt.mb(ceilMem?.hwmMb),
      "",
      "< 250 MB",
      verdict((mem?.hwmMb ?? Infinity) < 250),
    ],
  ];
  console.log("\n" + table(rows).replace(/^/gm, "   "));
  console.log(
    `   (latency at N connections is queueing: by Little's law the mean is N ÷ throughput, e.g. 50 ÷ ${fmt.int(single.tally.rps)} req/s = ${fmt.ms((50 / single.tally.rps) * 1000)})`,
  );
}

async function main() {
  printMachine("core: ingest throughput (wrk, 50 connections, loopback)");
  console.log(
    `   median of ${RUNS} run(s) of ${DURATION_S} s after a ${WARMUP_S} s warm-up; SQLite synchronous=FULL (every 200 is fsynced)`,
  );
  const keepProfiles = process.env.BENCH_PROFILE_DIR ?? null;
  const profileDir = PROFILE ? (keepProfiles ?? mkdtempSync(join(tmpdir(), "tally-prof-"))) : null;
  const tally = await startTally({
    nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  });
  const ceiling = await startCeiling();
  const results = {};
  let accepted = 0;
  try {
    const ws = await createWorkspace(tally.url);
    for (const s of scenarios(ws.secret_key, ws.public_key).filter((x) => !ONLY || ONLY.includes(x.name))) {
      const connections = s.connections ?? CONNECTIONS;
      const acked0 = await ingestAcks(tally.url);
      const t = await measure(tally, s.lua, connections);
      const acked = ackShares(acked0, await ingestAcks(tally.url));
      const c = await measure(ceiling, s.lua, connections);
      results[s.name] = { ...s, tally: t, ceiling: c };
      const th = t.threadMsPerRequest;
      console.log(
        `   ${s.title}, ${connections} connections: tally ${fmt.int(t.rps)} req/s (runs ${t.runs.map(fmt.int).join(", ")}), ceiling ${fmt.int(c.rps)} req/s; ` +
          `tally CPU per request: event loop ${fmt.ms(th.main)}, writer ${fmt.ms(th.busiest)}, other threads ${fmt.ms(th.rest)}`,
      );
      if (acked)
        console.log(
          `     answered by the server (its tally_ingest_seconds, parsed → durable, warm-up included): within 20 ms ${pct1(acked.within20)}, within 50 ms ${pct1(acked.within50)}, after 100 ms ${pct1(acked.after100)} of ${fmt.int(acked.n)}`,
        );
    }
    // Latency, measured per request by a Node client (see lib/probe.mjs): at 1 connection the
    // service time (nothing queued in front; the fsync shows), at 50 the latency under load.
    let probe = null;
    if (!ONLY || ONLY.includes("single")) {
      let n = 0;
      const run = `p${Date.now().toString(36)}`;
      const make = () => {
        const id = `${run}-${n++}`;
        const phone = `+1 (${AREA_CODES[Math.floor(Math.random() * AREA_CODES.length)]}) ${200 + Math.floor(Math.random() * 800)}-${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`;
        const event = {
          event_name: "Purchase",
          event_time: Math.floor(Date.now() / 1000),
          event_id: id,
          action_source: "website",
          user_data: {
            email: `Shopper.${id}@Example.com`,
            phone,
            external_id: `crm-${id}`,
            anonymous_id: `a-${id}`,
            client_ip_address: "203.0.113.9",
          },
          custom_data: { value: 99.99, currency: "USD", order_id: `o-${id}` },
        };
        return {
          method: "POST",
          path: "/v1/events",
          headers: { "content-type": "application/json", authorization: `Bearer ${ws.secret_key}` },
          body: JSON.stringify({ data: [event] }),
        };
      };
      probe = {
        one: await latencyProbe({ url: tally.url, connections: 1, durationS: DURATION_S, make }),
        fifty: await latencyProbe({ url: tally.url, connections: CONNECTIONS, durationS: DURATION_S, make }),
      };
      console.log(
        `   POST /v1/events, 1 event, probe: 1 connection p50 ${fmt.ms(probe.one.p50)}, p99 ${fmt.ms(probe.one.p99)} (${fmt.int(probe.one.rps)} req/s); 50 connections p50 ${fmt.ms(probe.fifty.p50)}, p99 ${fmt.ms(probe.fifty.p99)} (${fmt.int(probe.fifty.rps)} req/s)`,
      );
    }
    const mem = memoryOf(tally.pid);
    const ceilMem = memoryOf(ceiling.pid);

    // Every request was stored once: no duplicates, no rejections.
    const m = await (
      await fetch(`${tally.url}/v1/metrics?bucket=day`, {
        headers: { authorization: `Bearer ${ws.secret_key}` },
      })
    ).json();
    const sum = (k) => m.buckets.reduce((a, b) => a + b[k], 0);
    accepted = sum("accepted");

    const errors = Object.values(results).reduce((a, x) => a + x.tally.errors, 0);
    if (ONLY) console.log(`   peak RSS (VmHWM): ${fmt.mb(mem?.hwmMb)}`);
    else printTable(results, probe, mem, ceilMem);
    console.log(
      `\n   server counted ${fmt.int(sum("accepted"))} accepted, ${fmt.int(sum("duplicates"))} duplicates, ${fmt.int(sum("rejected"))} rejected; non-2xx or socket errors seen by wrk: ${fmt.int(errors)}`,
    );
  } finally {
    await ceiling.stop();
    await tally.stop();
  }
  if (profileDir) {
    printProfiles(profileDir);
    printSteps(profileDir, accepted);
    if (!keepProfiles) rmSync(profileDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
