/**
 * The live feed: `GET /v1/live` (WebSocket) fed by the bus, per workspace, with slow
 * subscribers dropped; `GET /v1/test-events` (the last hour of test and rejected events); and
 * the dashboard's static files at `/`. main.ts wires this in.
 *
 *   pipeline ──publish──▶ Bus ──▶ onBus (sync) ──▶ LiveHub.broadcast ──▶ sockets
 *   other nodes ─bridge─▶ Bus (remote: true)  └──▶ TestEventRing        ▲
 *   store.metrics (every second, watched workspaces only) ─────────────┘
 *
 * The hub only consumes the Bus, so a LISTEN/NOTIFY bridge that re-publishes other nodes'
 * messages makes every node's subscribers see every conversion.
 *
 * Connections are capped per workspace and per client address (429 before the upgrade), and
 * what authorized each one is re-checked every `recheckMs`: a connection whose key was
 * rotated out (its grace over) or whose dashboard session ended is closed with 4401, on
 * every node; logout closes this node's at once.
 */
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { HttpError } from "../domain/errors.js";
import { HOUR_MS } from "../domain/time.js";
import type { AppDeps } from "../http/deps.js";
import { metricsJson } from "../http/routes/metrics.js";
import { emptyRow } from "../monitoring/buckets.js";
import type { BusMessage } from "./bus.js";
import { dashboardRoutes } from "./dashboard-files.js";
import { clientKey } from "../http/client-address.js";
import { authorizeLive, LIVE_SUBPROTOCOL, type LiveGrant } from "./live-auth.js";
import { LiveConnections } from "./live-connections.js";
import { ALL_WORKSPACES, LiveHub, type LiveSocket } from "./live-hub.js";
import { alertData, conversionData, testEventData, type WireMessage } from "./messages.js";
import { TestEventRing } from "./test-event-ring.js";
import { liveSchema, testEventsSchema } from "../http/schemas/live.js";

export interface Live {
  /** Registers the WebSocket route (and anything else it serves). Called before listen. */
  routes(app: FastifyInstance, deps: AppDeps): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  /** Closes this node's connections opened by a dashboard session (logout). */
  closeSession(sessionIdHash: string): void;
}

export interface LiveOptions {
  metricsIntervalMs?: number;
  heartbeatMs?: number;
  testEventsPerWorkspace?: number;
  testEventsMaxAgeMs?: number;
  /** How often each open connection's key or session is checked again (default 1 s). */
  recheckMs?: number;
}

export function createLive(opts: LiveOptions = {}): Live {
  const metricsIntervalMs = opts.metricsIntervalMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const ring = new TestEventRing({
    maxPerWorkspace: opts.testEventsPerWorkspace ?? 500,
    maxAgeMs: opts.testEventsMaxAgeMs ?? HOUR_MS,
  });
  const recheckMs = opts.recheckMs ?? 1000;
  const grants = new WeakMap<FastifyRequest, LiveGrant>();
  const sockets = new Map<WebSocket, { alive: boolean }>();
  let connections: LiveConnections | null = null;
  let deps: AppDeps | null = null;
  let hub: LiveHub | null = null;
  let unsubscribe: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];

  // Runs inside the publisher's call: synchronous, never awaits, never throws past the bus.
  function onBus(m: BusMessage): void {
    if (!hub) return;
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
        hub.broadcast(m.workspaceId, { type: "signal", data: { workspace_id: m.workspaceId, ...m.data } }, true);
        return;
    }
  }

  async function metricsMessage(d: AppDeps, workspaceId: string): Promise<WireMessage> {
    const now = Date.now();
    const hourStart = now - (now % HOUR_MS);
    const [row] = await d.store.metrics(workspaceId, hourStart, now + 1, "hour");
    return {
      type: "metrics",
      data: { workspace_id: workspaceId, ...metricsJson(row ?? emptyRow(hourStart)) },
    };
  }

  let ticking = false;
  async function tick(): Promise<void> {
    if (ticking || !deps || !hub) return; // a slow store skips a beat rather than piling up queries
    ticking = true;
    try {
      for (const id of hub.workspaces()) hub.broadcast(id, await metricsMessage(deps, id));
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message } }, "live metrics failed");
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
    if (rechecking || !deps || !connections) return;
    rechecking = true;
    const auth = deps.auth;
    try {
      await connections.recheck((p) => auth.stillValid(p));
    } finally {
      rechecking = false;
    }
  }

  function onConnection(socket: WebSocket, req: FastifyRequest): void {
    const grant = grants.get(req);
    if (!deps || !hub || !connections || grant === undefined) {
      socket.close(1011, "not ready");
      return;
    }
    const scope = grant.scope;
    const tcp = req.raw.socket;
    const adapter: LiveSocket = {
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      send: (data) => socket.send(data, { binary: false }),
      close: (code, reason) => socket.close(code, reason),
      cork: () => tcp.cork(),
      uncork: () => tcp.uncork(),
    };
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
    if (scope !== ALL_WORKSPACES) {
      const d = deps;
      metricsMessage(d, scope)
        .then((m) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
        })
        .catch((err: unknown) =>
          d.logger.warn({ err: { message: (err as Error).message } }, "live metrics failed"),
        );
    }
  }

  return {
    async routes(app, d) {
      deps = d;
      const conns = new LiveConnections({
        perWorkspace: d.config.liveMaxPerWorkspace,
        perClient: d.config.liveMaxPerClient,
      });
      connections = conns;
      hub = new LiveHub({
        maxBufferedBytes: d.config.liveMaxBufferedBytes,
        onDropped: (scope) => d.logger.info({ workspace: scope }, "live subscriber too slow; disconnected"),
      });
      await app.register(websocket, {
        options: {
          maxPayload: 4096, // subscribers only listen
          handleProtocols: (protocols: Set<string>) =>
            protocols.has(LIVE_SUBPROTOCOL) ? LIVE_SUBPROTOCOL : false,
        },
      });
      app.route({
        method: "GET",
        url: "/v1/live",
        schema: liveSchema,
        preValidation: async (req) => {
          const grant = await authorizeLive(req, d);
          // The slot is held until the TCP connection closes (upgrade completed or not).
          const release = conns.reserve(grant.scope, clientKey(req.ip));
          req.raw.socket.once("close", release);
          grants.set(req, grant);
        },
        wsHandler: onConnection,
        // A plain GET (no upgrade) that passed the key check.
        handler: () => {
          throw new HttpError("upgrade_required");
        },
      });
      app.get("/v1/test-events", { schema: testEventsSchema }, async (req) => {
        const ws = await d.auth.workspace(req);
        return { data: ring.list(ws.id) };
      });
      dashboardRoutes(app, d.publicDir);
      d.live = { closeSession: (h) => conns.closeSession(h) };
    },

    start() {
      if (!deps) throw new Error("live.routes() must run before live.start()");
      unsubscribe = deps.bus.subscribe(onBus);
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
      hub?.closeAll();
      return Promise.resolve();
    },

    closeSession(sessionIdHash) {
      connections?.closeSession(sessionIdHash);
    },
  };
}
