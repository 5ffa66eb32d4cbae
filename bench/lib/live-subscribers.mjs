// The live benchmark's subscribers, on a thread of their own (bench/live.mjs): at 100
// subscribers they read 200,000 frames a second, which on the sending thread made the load
// generator part of what was measured. The sender writes each event's send time into a shared
// array (`sentAt`, by sequence number; the clock both threads share is
// `performance.timeOrigin + performance.now()`, sub-millisecond); this thread stamps each frame
// on arrival with the same clock, and reads the server's stamps without decoding the message.
//
// workerData: { wsUrl, n, sentAt: SharedArrayBuffer of Float64 }. Messages in: { measureFrom }
// (server ms: frames of events received earlier are warm-up), { finish, expected, waitMs }.
// Messages out: { ready } once every socket is open, then { delivered, lat, hub, fromRequest }.
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

const CONVERSION = Buffer.from('{"type":"conversion"');
const RECEIVED_AT = '"received_at":"';
const PUBLISHED_AT = '"published_at":"';
const EVENT_ID = '"event_id":"o-';

export const clock = () => performance.timeOrigin + performance.now();

if (parentPort && workerData?.wsUrl) {
  const { wsUrl, n } = workerData;
  const sentAt = new Float64Array(workerData.sentAt);
  const lat = [];
  const hub = [];
  const fromRequest = [];
  let delivered = 0;
  let measureFrom = Infinity;
  const onMessage = (data) => {
    const now = Date.now();
    const nowHr = clock();
    if (data.indexOf(CONVERSION) !== 0) return;
    delivered++;
    const at = data.indexOf(RECEIVED_AT) + RECEIVED_AT.length;
    const r = Date.parse(data.toString("latin1", at, at + 24));
    if (r < measureFrom) return;
    const pt = data.indexOf(PUBLISHED_AT, at) + PUBLISHED_AT.length;
    const p = Date.parse(data.toString("latin1", pt, pt + 24));
    lat.push(now - r);
    hub.push(now - p);
    const et = data.indexOf(EVENT_ID, at);
    if (et >= 0) {
      const from = et + EVENT_ID.length;
      const seq = Number(data.toString("latin1", from, data.indexOf(34, from)));
      const s0 = sentAt[seq];
      if (s0 > 0) fromRequest.push(nowHr - s0);
    }
  };
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve, reject) => {
          // A browser validates UTF-8 natively; ws would do it in JavaScript, 200,000 times a second.
          const s = new WebSocket(wsUrl, { skipUTF8Validation: true, perMessageDeflate: false });
          s.on("open", () => resolve(s));
          s.on("error", reject);
          s.on("message", onMessage);
        }),
    ),
  );
  parentPort.on("message", async (m) => {
    if (m.measureFrom !== undefined) measureFrom = m.measureFrom;
    if (m.finish) {
      const deadline = Date.now() + m.waitMs;
      while (delivered < m.expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const s of sockets) s.close();
      parentPort.postMessage({ delivered, lat, hub, fromRequest });
    }
  });
  parentPort.postMessage({ ready: true });
}
