// Memory under hostile traffic: 100,000 bad requests at the built server (a child process),
// and its resident memory before, during and after. Bounded memory is the figure; times are
// printed for reference only, never asserted.
//
//   node bench/hostile.mjs                (npm run bench -- hostile)
//   BENCH_QUICK=1 node bench/hostile.mjs  10,000 requests
//   BENCH_HOSTILE_REQUESTS=500000 …       another count
//
// The mix (a fixed seed, so runs compare): made-up keys of every shape and length on every
// kind of endpoint (each one new: the caches of misses and the throttles see 100,000 distinct
// keys), public-key collection and pixels with made-up keys, bad JSON, invalid UTF-8, deep
// nesting, bodies near and over the limit, NUL characters, batches of bad events with the real
// key, unknown link and destination ids, long query strings, bad %-escapes in paths, queries
// and cookies, unknown routes. Every answer must be a 4xx (or a 2xx for the real key's
// partly-bad batches) — a 5xx fails the benchmark.
import { Agent, request } from "node:http";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { memoryOf } from "./lib/proc.mjs";
import { ADMIN_TOKEN, createWorkspace, startTally } from "./lib/server.mjs";
import { fmt, table } from "./lib/stats.mjs";

const TOTAL = Number(process.env.BENCH_HOSTILE_REQUESTS ?? (QUICK ? 10_000 : 100_000));
const CONCURRENCY = 32;
const SAMPLES = 10;

/** mulberry32: a small seeded PRNG, so every run sends the same requests. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20261129);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const randomText = (n, alphabet = URLSAFE) => {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
  return s;
};
/** A key nobody has: a plausible one, or any length and shape. */
const madeUpKey = (i) =>
  pick([
    () => `pk_${randomText(16 + int(48))}${i}`,
    () => `sk_${randomText(32 + int(32))}${i}`,
    () => `pk_${randomText(200 + int(4000))}`,
    () => `sk_${randomText(1000 + int(6000))}`,
    () => `${randomText(8 + int(200), URLSAFE + "%.~!$&'()*+,;=:@")}${i}`,
  ])();

function nested(depth) {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** One hostile request, numbered i (so keys and ids never repeat). */
function hostileRequest(i, ws) {
  const t = Math.floor(Date.now() / 1000);
  const json = (method, path, body, headers = {}) => ({
    method,
    path,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
  });
  const bearer = (k) => ({ authorization: `Bearer ${k}` });
  const kinds = [
    // Made-up keys on the server API, the browser endpoints and the live feed.
    () => json("POST", "/v1/events", { data: [{ event_name: "Lead", event_time: t }] }, bearer(madeUpKey(i))),
    () => ({ method: "GET", path: "/v1/conversions?limit=5", headers: bearer(madeUpKey(i)), body: null }),
    () =>
      json(
        "POST",
        `/t/collect?k=${encodeURIComponent(madeUpKey(i))}`,
        { events: [{ event_name: "PageView" }] },
        {
          "content-type": "text/plain",
        },
      ),
    () => ({
      method: "GET",
      path: `/t/p.gif?k=${encodeURIComponent(madeUpKey(i))}&en=PageView&aid=a${i}`,
      headers: {},
      body: null,
    }),
    () => ({
      method: "GET",
      path: `/v1/live?token=${encodeURIComponent(madeUpKey(i))}`,
      headers: {},
      body: null,
    }),
    // Broken bodies with the real key.
    () => json("POST", "/v1/events", '{"data": [{"event_name": "Lead",}]}', bearer(ws.secret_key)),
    () => ({
      method: "POST",
      path: "/v1/events",
      headers: { "content-type": "application/json", ...bearer(ws.secret_key) },
      body: Buffer.concat([
        Buffer.from('{"data":[{"event_name":"Lead","x":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}]}'),
      ]),
    }),
    () => json("POST", "/v1/events", `{"data":${nested(50 + int(2000))}}`, bearer(ws.secret_key)),
    () => json("POST", "/v1/events", { data: [] }, bearer(ws.secret_key)),
    () => json("PATCH", "/v1/workspace", { colour: "red", name: "a\u0000" }, bearer(ws.secret_key)),
    () =>
      json("POST", "/v1/events", "x=1", {
        ...bearer(ws.secret_key),
        "content-type": "application/x-www-form-urlencoded",
      }),
    // Batches of bad events (each rejected on its own) with the real key.
    () =>
      json(
        "POST",
        "/v1/events",
        {
          data: Array.from({ length: 20 }, (_, k) => ({
            event_name: pick(["Lead", "Nope", 5, null]),
            event_time: pick([t, "soon", 1e308, -1]),
            event_id: `bad-${i}-${k}\u0000`,
            custom_data: { value: pick([1e308, "x", -0]), note: randomText(200) },
          })),
        },
        bearer(ws.secret_key),
      ),
    () =>
      json(
        "POST",
        "/v1/clicks",
        { data: [{ time: "never", platform: 5 }, { campaign: "x\u0000" }] },
        bearer(ws.secret_key),
      ),
    // Unknown ids, long and badly escaped URLs, hostile cookies, unknown routes.
    () => ({
      method: "GET",
      path: `/c/lnk_${randomText(26, "0123456789abcdefghjkmnpqrstvwxyz")}`,
      headers: {},
      body: null,
    }),
    () => ({
      method: "GET",
      path: `/v1/destinations/${randomText(20 + int(400))}`,
      headers: bearer(ws.secret_key),
      body: null,
    }),
    () => ({ method: "GET", path: `/v1/destinations/%zz${i}`, headers: bearer(ws.secret_key), body: null }),
    () => ({
      method: "GET",
      path: `/v1/conversions?from=${randomText(3000)}&cursor=%E0%A4%A`,
      headers: bearer(ws.secret_key),
      body: null,
    }),
    () => ({
      method: "GET",
      path: "/v1/workspace",
      headers: { cookie: `tally_session=%E0%A4%A${i}; x=${randomText(2000)}` },
      body: null,
    }),
    () => ({
      method: "GET",
      path: "/v1/workspace",
      headers: { ...bearer(ADMIN_LIKE), "x-tally-workspace": `ws_${randomText(26)}` },
      body: null,
    }),
    () => ({
      method: pick(["GET", "DELETE", "PUT"]),
      path: `/v1/nothing/${i}/${randomText(int(300))}`,
      headers: {},
      body: null,
    }),
    // A body near the 1 MiB limit, and rarely one over it.
    () =>
      rand() < 0.05
        ? json(
            "POST",
            "/v1/events",
            { data: [{ event_name: "Lead", event_time: t, custom_data: { pad: "x".repeat(1_100_000) } }] },
            bearer(ws.secret_key),
          )
        : json(
            "POST",
            "/v1/events",
            { data: [{ event_name: "Lead", event_time: "bad", custom_data: { pad: "x".repeat(60_000) } }] },
            bearer(ws.secret_key),
          ),
  ];
  return pick(kinds)();
}
const ADMIN_LIKE = "adm_not_the_token_0123456789";

/** The server's V8 heap in use and its external memory (Buffers), from its own /metrics. */
async function heapOf(url) {
  try {
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text();
    const v = (name) => Number(new RegExp(`^${name} ([0-9.e+]+)`, "m").exec(text)?.[1] ?? NaN) / 1048576;
    return {
      heapMb: v("tally_nodejs_heap_size_used_bytes"),
      externalMb: v("tally_nodejs_external_memory_bytes"),
    };
  } catch {
    return { heapMb: null, externalMb: null };
  }
}

function send(agent, port, r) {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: r.method,
        path: r.path,
        agent,
        headers: { ...r.headers, ...(r.body ? { "content-length": r.body.length } : {}) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
        res.on("error", () => resolve(0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(r.body ?? undefined);
  });
}

printMachine("bench/hostile — resident memory under 100,000 hostile requests");
const server = await startTally();
const port = Number(new URL(server.url).port);
const ws = await createWorkspace(server.url, "Hostile");
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
await new Promise((r) => setTimeout(r, 1000));
const before = memoryOf(server.pid);
const heap0 = await heapOf(server.url);
const rows = [
  ["requests sent", "RSS", "peak RSS so far", "JS heap used", "external"],
  [
    "0 (idle, after start)",
    fmt.mb(before.rssMb),
    fmt.mb(before.hwmMb),
    fmt.mb(heap0.heapMb),
    fmt.mb(heap0.externalMb),
  ],
];
const pending = [];
const statuses = new Map();
let next = 0;
let done = 0;
const every = Math.ceil(TOTAL / SAMPLES);
const started = Date.now();
async function worker() {
  while (next < TOTAL) {
    const i = next++;
    const status = await send(agent, port, hostileRequest(i, ws));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    done++;
    if (done % every === 0) {
      const m = memoryOf(server.pid);
      const row = [fmt.int(done), fmt.mb(m?.rssMb), fmt.mb(m?.hwmMb), "", ""];
      rows.push(row);
      pending.push(
        heapOf(server.url).then((h) => {
          row[3] = fmt.mb(h.heapMb);
          row[4] = fmt.mb(h.externalMb);
        }),
      );
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (Date.now() - started) / 1000;
agent.destroy();
await Promise.all(pending);
await new Promise((r) => setTimeout(r, 5000));
const after = memoryOf(server.pid);
const heap1 = await heapOf(server.url);
rows.push([
  "after, 5 s idle",
  fmt.mb(after.rssMb),
  fmt.mb(after.hwmMb),
  fmt.mb(heap1.heapMb),
  fmt.mb(heap1.externalMb),
]);
await server.stop();

console.log(
  `\n${fmt.int(TOTAL)} hostile requests, ${CONCURRENCY} at a time, in ${seconds.toFixed(1)} s (${fmt.int(TOTAL / seconds)}/s; not a target)\n`,
);
console.log(table(rows));
const byStatus = [...statuses].sort((a, b) => a[0] - b[0]);
console.log(
  `\nanswers by status: ${byStatus.map(([s, n]) => `${s === 0 ? "no answer" : s} ×${fmt.int(n)}`).join(", ")}`,
);
console.log(`RSS growth over the run: ${fmt.mb(after.rssMb - before.rssMb)} (peak ${fmt.mb(after.hwmMb)})`);
const bad = byStatus.filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
if (bad > 0) {
  console.log(`FAILED: ${bad} answers were 5xx`);
  process.exitCode = 1;
}
