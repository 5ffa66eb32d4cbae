/**
 * The live feed across nodes: a `BusBridge` over PostgreSQL LISTEN/NOTIFY.
 *
 * What this node stored is published locally by the pipeline; `publishLocal` sends it to the
 * other nodes on channel `tally_events`, coalescing everything handed to it in one turn of the
 * event loop (what one group commit acknowledged) into one NOTIFY, split so each payload stays
 * under PostgreSQL's 8000-byte limit. A single message too big for one NOTIFY goes through
 * the `live_spill` table and the NOTIFY carries its row id. Every node LISTENs on a dedicated
 * connection (never a pooled one: LISTEN belongs to a session) and re-publishes messages from
 * OTHER nodes onto its local bus with `remote: true`; its own come back too and are ignored.
 *
 * The cross-node feed is best effort, like the live feed itself: while the database is away
 * the LISTEN connection reconnects by itself (backoff up to 5 s) and what was notified in
 * between is not replayed; `publishLocal` never rejects (failures are logged).
 *
 * @example
 * const bridge = await startNotifyBridge({ url: config.databaseUrl, bus, nodeId: newId("node"), logger });
 * bus.subscribe((m) => { if (!m.remote) void bridge.publishLocal([m]); });
 * // on shutdown: await bridge.stop();
 */
import pg from "pg";
import type { Logger } from "pino";
import type { Bus, BusMessage } from "../../bus.js";
import { clientConfig, createPool } from "./pool.js";

export const CHANNEL = "tally_events";
/** PostgreSQL refuses payloads of 8000 bytes or more; keep a margin for the envelope. */
export const MAX_PAYLOAD_BYTES = 7900;

export interface NotifyBridgeOptions {
  url: string;
  bus: Bus;
  /** Unique per process: a node ignores its own notifications. */
  nodeId: string;
  logger: Pick<Logger, "warn" | "info" | "debug">;
  channel?: string;
}

export interface NotifyBridge {
  /** Sends this node's messages to the other nodes. Never rejects. */
  publishLocal(msgs: BusMessage[]): Promise<void>;
  stop(): Promise<void>;
}

/** A notification: from node `n`, either messages `m` or a spilled row `r`. */
interface Envelope {
  n: string;
  m?: BusMessage[];
  r?: number;
}

/** Splits messages into NOTIFY payloads under the limit; a message too big alone is returned apart. */
export function packPayloads(
  nodeId: string,
  msgs: BusMessage[],
  limit = MAX_PAYLOAD_BYTES,
): { payloads: string[]; oversized: BusMessage[] } {
  const payloads: string[] = [];
  const oversized: BusMessage[] = [];
  const head = `{"n":${JSON.stringify(nodeId)},"m":[`;
  let parts: string[] = [];
  let size = Buffer.byteLength(head) + 2;
  const flush = () => {
    if (parts.length) payloads.push(`${head}${parts.join(",")}]}`);
    parts = [];
    size = Buffer.byteLength(head) + 2;
  };
  for (const m of msgs) {
    const s = JSON.stringify(m);
    const bytes = Buffer.byteLength(s);
    if (Buffer.byteLength(head) + 2 + bytes > limit) {
      oversized.push(m);
      continue;
    }
    if (size + bytes + (parts.length ? 1 : 0) > limit) flush();
    size += bytes + (parts.length ? 1 : 0);
    parts.push(s);
  }
  flush();
  return { payloads, oversized };
}

export async function startNotifyBridge(opts: NotifyBridgeOptions): Promise<NotifyBridge> {
  const channel = opts.channel ?? CHANNEL;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  const log = opts.logger;
  // Small: NOTIFY and spill reads are short statements.
  const pool = createPool({ url: opts.url, poolMax: 2 }, (err) =>
    log.debug({ err: { message: err.message } }, "live bridge: idle connection failed"),
  );
  let listener: pg.Client | null = null;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let backoff = 250;

  const deliver = async (payload: string | undefined): Promise<void> => {
    if (!payload) return;
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return; // not ours
    }
    if (typeof env.n !== "string" || env.n === opts.nodeId) return;
    let msgs = env.m;
    if (typeof env.r === "number") {
      const r = await pool.query<{ payload: string }>("SELECT payload FROM live_spill WHERE id = $1", [
        env.r,
      ]);
      msgs = r.rows[0] ? [JSON.parse(r.rows[0].payload) as BusMessage] : [];
    }
    for (const m of msgs ?? []) opts.bus.publish({ ...m, remote: true });
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...clientConfig({ url: opts.url }), query_timeout: 5000 });
    c.on("notification", (n) => {
      if (n.channel !== channel) return;
      deliver(n.payload).catch((err: Error) =>
        log.warn({ err: { message: err.message } }, "live bridge: could not read a notification"),
      );
    });
    c.on("error", (err) => {
      log.warn({ err: { message: err.message } }, "live bridge: LISTEN connection lost; reconnecting");
      drop(c);
    });
    c.on("end", () => drop(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      c.removeAllListeners();
      c.on("error", () => {});
      await c.end().catch(() => {});
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    listener = c;
    backoff = 250;
  };

  const drop = (c: pg.Client) => {
    if (listener !== c && listener !== null) return; // an old connection, already replaced
    listener = null;
    c.removeAllListeners("notification");
    void c.end().catch(() => {});
    schedule();
  };

  const schedule = () => {
    if (stopped || retryTimer || listener) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().catch((err: Error) => {
        log.debug({ err: { message: err.message } }, "live bridge: reconnect failed");
        backoff = Math.min(backoff * 2, 5000);
        schedule();
      });
    }, backoff);
    retryTimer.unref();
  };

  try {
    await connect();
  } catch (err) {
    // The node still starts; the feed joins the others once the database answers.
    log.warn(
      { err: { message: (err as Error).message } },
      "live bridge: LISTEN failed; retrying in the background",
    );
    schedule();
  }
  // A connection cut without a FIN/RST would stay silent forever: probe it.
  const heartbeat = setInterval(() => {
    const c = listener;
    if (c) c.query("SELECT 1").catch(() => drop(c));
  }, 10_000);
  heartbeat.unref();

  // Messages handed over in one turn of the event loop go out together.
  let pending: BusMessage[] = [];
  let flushing: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    const msgs = pending;
    pending = [];
    flushing = null;
    if (msgs.length === 0 || stopped) return;
    try {
      const { payloads, oversized } = packPayloads(opts.nodeId, msgs);
      for (const m of oversized) {
        const r = await pool.query<{ id: number }>(
          "INSERT INTO live_spill (payload, created_at) VALUES ($1, $2) RETURNING id",
          [JSON.stringify(m), Date.now()],
        );
        payloads.push(JSON.stringify({ n: opts.nodeId, r: r.rows[0]!.id } satisfies Envelope));
      }
      if (payloads.length === 1) await pool.query("SELECT pg_notify($1, $2)", [channel, payloads[0]]);
      else if (payloads.length > 1)
        await pool.query(
          "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i",
          [channel, payloads],
        );
    } catch (err) {
      log.warn(
        { err: { message: (err as Error).message }, messages: msgs.length },
        "live bridge: could not notify other nodes",
      );
    }
  };

  return {
    publishLocal(msgs: BusMessage[]): Promise<void> {
      for (const m of msgs) if (!m.remote) pending.push(m);
      flushing ??= new Promise<void>((resolve) => setImmediate(() => void flush().finally(resolve)));
      return flushing;
    },
    async stop() {
      if (stopped) return;
      await flushing;
      stopped = true;
      clearInterval(heartbeat);
      if (retryTimer) clearTimeout(retryTimer);
      const c = listener;
      listener = null;
      if (c) {
        c.removeAllListeners();
        c.on("error", () => {});
        await c.end().catch(() => {});
      }
      await pool.end();
    },
  };
}
