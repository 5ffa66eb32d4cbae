/**
 * The dashboard's end of `GET /v1/live`: the session cookie authorises it (same origin), it
 * reconnects with backoff, and it hands messages over in batches, once per animation frame,
 * so a thousand conversions a second cost one render per frame rather than a thousand.
 */
import type { LiveMessage } from "./types.js";

export type LiveStatus = "connecting" | "live" | "reconnecting";

/** Most messages held between two frames; older conversions beyond it are counted, not kept. */
const MAX_QUEUE = 2000;

export interface LiveBatch {
  messages: LiveMessage[];
  /** Messages dropped from the queue because frames could not keep up (a hidden tab, say). */
  skipped: number;
}

export function openLive(
  workspace: string,
  onBatch: (b: LiveBatch) => void,
  onStatus: (s: LiveStatus) => void,
): () => void {
  let socket: WebSocket | null = null;
  let queue: LiveMessage[] = [];
  let skipped = 0;
  let frame = 0;
  let timer = 0;
  let retry = 0;
  let retryTimer = 0;
  let closed = false;

  const flush = () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = 0;
    timer = 0;
    if (queue.length === 0) return;
    const batch = { messages: queue, skipped };
    queue = [];
    skipped = 0;
    onBatch(batch);
  };

  const schedule = () => {
    if (frame || timer) return;
    frame = requestAnimationFrame(flush);
    // Background tabs get no frames: drain anyway, just less often.
    timer = window.setTimeout(flush, 500);
  };

  const connect = () => {
    if (closed) return;
    onStatus(retry === 0 ? "connecting" : "reconnecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/v1/live?workspace=${encodeURIComponent(workspace)}`);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
      onStatus("live");
    };
    ws.onmessage = (e: MessageEvent<string>) => {
      let m: LiveMessage;
      try {
        m = JSON.parse(e.data) as LiveMessage;
      } catch {
        return;
      }
      queue.push(m);
      if (queue.length > MAX_QUEUE) {
        const cut = queue.length - MAX_QUEUE;
        queue = queue.slice(cut);
        skipped += cut;
      }
      schedule();
    };
    ws.onclose = () => {
      socket = null;
      if (closed) return;
      onStatus("reconnecting");
      const delay = Math.min(10_000, 500 * 2 ** retry) * (0.75 + Math.random() * 0.5);
      retry++;
      retryTimer = window.setTimeout(connect, delay);
    };
  };

  connect();
  return () => {
    closed = true;
    clearTimeout(retryTimer);
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    socket?.close(1000, "left the page");
  };
}
