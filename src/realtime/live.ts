/**
 * The live feed on this node, fed by the bus: per-workspace fan-out to WebSocket subscribers
 * (slow ones dropped), the last hour of test and rejected events, the figures every second,
 * and the open connections with what authorized them. The routes that open a connection and
 * list test events are `http/routes/live.ts`; main.ts wires this in.
 *
 *   pipeline ──publish──▶ Bus ──▶ onBus (sync) ──▶ LiveHub.broadcast ──▶ sockets
 *   other nodes ─bridge─▶ Bus (remote: true)  └──▶ TestEventRing        ▲
 *   store.metrics (every second, watched workspaces only) ─────────────┘
 *
 * The hub writes each subscriber once per turn of the event loop (a whole ingested batch in
 * one write of ready-made frames, see live-hub.ts).
 *
 * The hub only consumes the Bus, so a LISTEN/NOTIFY bridge that re-publishes other nodes'
 * messages makes every node's subscribers see every conversion.
 *
 * Connections are capped per workspace and per client address (429 before the upgrade), and
 * what authorized each one is re-checked every `recheckMs`: a connection whose key was
 * rotated out (its grace over) or whose dashboard session ended is closed with 4401, on
 * every node; logout closes this node's at once.
 */
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { Bus, BusMessage } from "../bus.js";
import { HOUR_MS } from "../domain/time.js";
import type { Principal } from "../http/auth.js";
import { emptyRow } from "../monitoring/buckets.js";
import { metricsJson } from "../monitoring/metrics-json.js";
import type { Store } from "../storage/storage.js";
import { LiveConnections } from "./live-connections.js";
import { ALL_WORKSPACES, LiveHub, liveSocketOf, type LiveScope } from "./live-hub.js";
import {
  alertData,
  conversionData,
  testEventData,
  type WireMessage,
  type WireTestEvent,
} from "./messages.js";
import { TestEventRing } from "./test-event-ring.js";

/** What a live-feed connection may watch, and what authorized it (re-checked while it is open). */
export interface LiveGrant {
  scope: LiveScope;
  principal: Principal;
}

export interface LiveFeed {
  /** Takes a connection slot for `scope` and `client`, or throws 429; the function gives it back. */
  reserve(scope: LiveScope, client: string): () => void;
  /** Serves an upgraded socket until it closes. `tcp` is its connection (corked per broadcast). */
  connect(socket: WebSocket, grant: LiveGrant, tcp: Socket): void;
  /** The workspace's test and rejected events of the last hour (as `GET /v1/test-events` lists them). */
  testEvents(workspaceId: string): WireTestEvent[];
  /** Closes this node's connections opened by a dashboard session (logout). */
  closeSession(sessionIdHash: string): void;
  start(): void;
  stop(): Promise<void>;
}

export interface LiveFeedDeps {
  store: Pick<Store, "metrics">;
  bus: Bus;
  logger: Logger;
  /** Whether what authorized a connection still holds (a rotated-out key or ended session does not). */
  stillValid(p: Principal): Promise<boolean>;
  limits: { perWorkspace: number; perClient: number; maxBufferedBytes: number };
}

export interface LiveOptions {
  metricsIntervalMs?: number;
  heartbeatMs?: number;
  testEventsPerWorkspace?: number;
  testEventsMaxAgeMs?: number;
  /** How often each open connection's key or session is checked again (default 1 s). */
  recheckMs?: number;
}

export function createLive(deps: LiveFeedDeps, opts: LiveOptions = {}): LiveFeed {
  const { store, bus, logger } = deps;
  const metricsIntervalMs = opts.metricsIntervalMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const recheckMs = opts.recheckMs ?? 1000;
  const ring = new TestEventRing({
    maxPerWorkspace: opts.testEventsPerWorkspace ?? 500,
    maxAgeMs: opts.testEventsMaxAgeMs ?? HOUR_MS,
  });
  const connections = new LiveConnections({
    perWorkspace: deps.limits.perWorkspace,
    perClient: deps.limits.perClient,
  });
  const hub = new LiveHub({
    maxBufferedBytes: deps.limits.maxBufferedBytes,
    onDropped: (scope) => logger.info({ workspace: scope }, "live subscriber too slow; disconnected"),
  });
  const sockets = new Map<WebSocket, { alive: boolean }>();
  let unsubscribe: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];

  // Runs inside the publisher's call: synchronous, never awaits, never throws past the bus.
  function onBus(m: BusMessage): void {
    switch (m.type) {
      case "conversion":
        if (hub.listening(m.workspaceId, true))
          hub.broadcast(m.workspaceId, { type: "conversion", data: conversionData(m, Date.now()) }, true);
        return;
      case "test_event": {
        const data = testEventData(m);
        ring.add(m.workspaceId, m.receivedAt, data);
        hub.broadcast(m.workspaceId, { type: "test_event", data });
        return;
      }
      case "alert":
        hub.broadcast(m.workspaceId, { type: "alert", data: alertData(m) }, true);
        return;
      case "signal":
        hub.broadcast(
          m.workspaceId,
          { type: "signal", data: { workspace_id: m.workspaceId, ...m.data } },
          true,
        );
        return;
      case "adjustment":
        hub.broadcast(
          m.workspaceId,
          { type: "adjustment", data: { workspace_id: m.workspaceId, ...m.data } },
          true,
        );
        return;
    }
  }

  async function metricsMessage(workspaceId: string): Promise<WireMessage> {
    const now = Date.now();
    const hourStart = now - (now % HOUR_MS);
    const [row] = await store.metrics(workspaceId, hourStart, now + 1, "hour");
    return {
      type: "metrics",
      data: { workspace_id: workspaceId, ...metricsJson(row ?? emptyRow(hourStart)) },
    };
  }

  let ticking = false;
  async function tick(): Promise<void> {
    if (ticking) return; // a slow store skips a beat rather than piling up queries
    ticking = true;
    try {
      for (const id of hub.workspaces()) hub.broadcast(id, await metricsMessage(id));
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, "live metrics failed");
    } finally {
      ticking = false;
    }
  }

  function heartbeat(): void {
    for (const [socket, state] of sockets) {
      if (!state.alive) {
        socket.terminate();
        continue;
      }
      state.alive = false;
      socket.ping();
    }
  }

  let rechecking = false;
  async function recheck(): Promise<void> {
    if (rechecking) return;
    rechecking = true;
    try {
      await connections.recheck((p) => deps.stillValid(p));
    } finally {
      rechecking = false;
    }
  }

  return {
    reserve: (scope, client) => connections.reserve(scope, client),

    connect(socket, grant, tcp) {
      const scope = grant.scope;
      const adapter = liveSocketOf(socket, tcp);
      const remove = hub.add(scope, adapter);
      const forget = connections.add({
        principal: grant.principal,
        close: (code, reason) => socket.close(code, reason),
      });
      const state = { alive: true };
      sockets.set(socket, state);
      socket.on("pong", () => (state.alive = true));
      socket.on("close", () => {
        remove();
        forget();
        sockets.delete(socket);
      });
      // The figures at once, rather than a second of empty tiles.
      if (scope !== ALL_WORKSPACES)
        metricsMessage(scope)
          .then((m) => {
            if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
          })
          .catch((err: unknown) =>
            logger.warn({ err: { message: (err as Error).message } }, "live metrics failed"),
          );
    },

    testEvents: (workspaceId) => ring.list(workspaceId),

    closeSession(sessionIdHash) {
      connections.closeSession(sessionIdHash);
    },

    start() {
      unsubscribe = bus.subscribe(onBus);
      timers.push(setInterval(() => void tick(), metricsIntervalMs));
      timers.push(setInterval(heartbeat, heartbeatMs));
      timers.push(setInterval(() => ring.sweep(), 60_000));
      timers.push(setInterval(() => void recheck(), recheckMs));
      for (const t of timers) t.unref();
    },

    stop() {
      unsubscribe?.();
      unsubscribe = null;
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      hub.closeAll();
      return Promise.resolve();
    },
  };
}
