// The live hub's fan-out alone, in CPU time (robust on a loaded machine, unlike wall-clock
// latency): the built LiveHub (dist/) in this process behind a real `ws` server on loopback,
// N subscribers in a child process. Conversions are broadcast in batches of 20 (one turn each)
// at a steady rate; reported: this process's CPU per message delivered to one subscriber, and
// the broadcast → subscriber latency the child sees. The sockets are wired as
// realtime/live.ts wires them (send, cork/uncork, and sendFramed where the hub has it).
//
//   node bench/live-fanout.mjs          (npm run bench -- live-fanout)
//   BENCH_FANOUT_SUBSCRIBERS=10,100 BENCH_FANOUT_RATE=2000 …
import { spawn } from "node:child_process";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, quantile, table } from "./lib/stats.mjs";

const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 2000);
const BATCH = 20;
const SECONDS = QUICK ? 3 : 5;
const SUBSCRIBERS = (process.env.BENCH_FANOUT_SUBSCRIBERS ?? "1,10,100").split(",").map(Number);
const { LiveHub, liveSocketOf } = await import(join(ROOT, "dist/src/realtime/live-hub.js"));

printMachine("bench/live-fanout — the live hub's fan-out, CPU per delivered message");

const CHILD = `
const WebSocket = require(${JSON.stringify(join(ROOT, "node_modules/ws"))});
const [url, n] = [process.argv[1], Number(process.argv[2])];
const lat = []; let got = 0; let open = 0;
for (let i = 0; i < n; i++) {
  const s = new WebSocket(url, { skipUTF8Validation: true, perMessageDeflate: false });
  s.on("open", () => { if (++open === n) process.send({ ready: true }); });
  s.on("message", (d) => {
    got++;
    const t = d.indexOf('"t":');
    if (t >= 0) lat.push(Date.now() - Number(d.toString("latin1", t + 4, d.indexOf(44, t))));
  });
}
process.on("message", (m) => {
  if (m === "report") {
    lat.sort((a, b) => a - b);
    const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null;
    process.send({ got, p50: q(0.5), p99: q(0.99) });
  }
});
`;

const rows = [
  [
    "subscribers",
    "messages delivered",
    "hub CPU per delivered message",
    "hub CPU share",
    "broadcast→sub p50",
    "p99",
  ],
];
for (const n of SUBSCRIBERS) rows.push(await run(n));
console.log(table(rows));
console.log(
  "   (CPU: this process — hub, ws server, TCP writes — per message per subscriber; latency in ms, the child's clock)",
);

async function run(n) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once("listening", r));
  const hub = new LiveHub({ maxBufferedBytes: 1 << 20 });
  wss.on("connection", (socket) => {
    const tcp = socket._socket;
    const remove = hub.add("ws_bench", liveSocketOf(socket, tcp));
    socket.on("close", remove);
  });
  const child = spawn(process.execPath, ["-e", CHILD, `ws://127.0.0.1:${wss.address().port}`, String(n)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise((r) => child.once("message", r));
  const total = RATE * SECONDS;
  let sent = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
    while (sent < due) {
      for (let k = 0; k < BATCH; k++, sent++) hub.broadcast("ws_bench", message(sent));
      await new Promise((r) => setImmediate(r)); // one batch per turn, as one ingested request
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const used = process.cpuUsage(cpu0);
  const secs = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  child.send("report");
  const rep = await new Promise((r) => child.once("message", r));
  child.kill();
  hub.closeAll();
  await new Promise((r) => wss.close(r));
  const cpuMs = (used.user + used.system) / 1000;
  return [
    n,
    `${fmt.int(rep.got)} of ${fmt.int(total * n)}`,
    `${((cpuMs * 1000) / Math.max(1, rep.got)).toFixed(2)} µs`,
    fmt.pct(cpuMs / 1000 / secs),
    fmt.ms(rep.p50),
    fmt.ms(rep.p99),
  ];
}

/** A conversion as the feed sends it (about 700 bytes); `t` is when it was broadcast. */
function message(i) {
  const touch = {
    platform: "meta",
    campaign: "c-42",
    ad: "ad-7",
    time: "2026-12-07T03:00:00.000Z",
    credit: 1,
  };
  return {
    type: "conversion",
    data: {
      t: Date.now(),
      workspace_id: "ws_bench",
      id: `evt_${i}`,
      event_name: "Purchase",
      event_time: "2026-12-07T04:00:00.000Z",
      received_at: "2026-12-07T04:00:00.010Z",
      published_at: "2026-12-07T04:00:00.012Z",
      value: 42.5,
      currency: "USD",
      event_id: `o-${i}`,
      attribution: { model: "last_click", touches: [touch] },
      attribution_all: {
        last_click: [touch],
        first_click: [touch],
        linear: [touch],
        time_decay: [touch],
        position: [touch],
      },
      quality: { score: 0.9, flags: [] },
    },
  };
}
