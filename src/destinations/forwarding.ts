/**
 * Forwarding to ad platforms: one delivery worker per destination, and the registry the
 * destination endpoints (`http/routes/destinations.ts`) use. main.ts wires this in.
 *
 * Which destinations an event goes to is decided by the commit, inside the event's own
 * transaction, from the destinations in the database (domain/destination-route.ts): a
 * destination created on any node gets the rows of every event committed after it. Here the
 * known destinations are kept in memory with their configs opened once, only to run one
 * delivery worker each: this node's own changes start or stop a worker at once; other nodes'
 * changes (PostgreSQL) by a periodic reload, or sooner when an event of a destination this
 * node does not know yet is published. Rows wait in the outbox meanwhile, never lost.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { ConsentDefault } from "../domain/workspace.js";
import type { PromMetrics } from "../monitoring/prometheus.js";
import type { Bus } from "../bus.js";
import type { Cipher } from "../security/cipher.js";
import type { DestinationRecord, Store } from "../storage/storage.js";
import { isDestinationType, parseConfig, type DestinationConfig } from "./config-schema.js";
import { createEndpointPolicy, type Resolve } from "./endpoint-policy.js";
import { createHttpClient } from "./http-send.js";
import { OutboxWorker, type ActiveDestination } from "./outbox-worker.js";
import { adapterFor } from "./platforms.js";
import type { DestinationRegistry } from "./registry.js";
import { routeEventsOf } from "./routing-table.js";
import type { Send } from "./types.js";

export interface ForwardingDeps {
  store: Store;
  cipher: Cipher;
  logger: Logger;
  config: Config;
  prom: PromMetrics;
  bus: Bus;
  /** Outbound HTTP (tests may inject one; default: the policy-bound client of http-send.ts). */
  send?: Send;
  /** Name resolution for the endpoint policy (tests map names to loopback; default: the system's). */
  resolve?: Resolve;
}

export interface Forwarding {
  /** Loads the destinations and starts the delivery workers (when enabled). */
  start(): Promise<void>;
  /** Stops claiming; waits for in-flight sends to be marked. */
  stop(): Promise<void>;
  /** What the destination endpoints need (given to HTTP as `deps.destinations`). */
  readonly registry: DestinationRegistry;
}

/** How often the destination list is reloaded (changes made on other nodes). */
const RELOAD_MS = 5000;
/** How soon a reload follows another node's change to destinations (changes come in bursts). */
const SOON_MS = 200;
/** How long consent defaults of workspaces are cached. */
const CONSENT_TTL_MS = 2000;
/** How long stopping waits for in-flight requests before aborting them. */
const STOP_GRACE_MS = 2000;

export function createForwarding(deps: ForwardingDeps): Forwarding {
  const { store, cipher, logger, config, bus } = deps;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const policy = createEndpointPolicy({
    allowPrivate: config.allowPrivateEndpoints,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const http = deps.send ? null : createHttpClient(policy);
  const send = deps.send ?? http!.send;
  const active = new Map<string, ActiveDestination>();
  const workers = new Map<string, OutboxWorker>();
  const consent = new Map<string, { value: ConsentDefault; expires: number }>();
  let running = false;
  let changes = 0; // local changes; a reload started before one is stale
  let reloadTimer: NodeJS.Timeout | null = null;
  let unsubscribe: (() => void) | null = null;

  function configOf(record: DestinationRecord): DestinationConfig | null {
    if (!isDestinationType(record.type)) return null;
    try {
      const parsed = parseConfig(record.type, JSON.parse(cipher.decrypt(record.configEnc)) as unknown);
      return parsed.ok ? parsed.config : null;
    } catch {
      return null;
    }
  }

  function activate(record: DestinationRecord, cfg?: DestinationConfig): ActiveDestination | null {
    const known = active.get(record.id);
    if (known) return known;
    const c = cfg ?? configOf(record);
    if (c === null) {
      logger.error(
        { destination: record.id, type: record.type },
        "destination config cannot be opened; it is skipped",
      );
      return null;
    }
    return { record, config: c, adapter: adapterFor(c.type) };
  }

  const workerDeps = {
    store,
    logger,
    prom: deps.prom,
    send,
    owner,
    pollMs: config.outboxPollMs,
    consentDefault: async (workspaceId: string): Promise<ConsentDefault> => {
      const hit = consent.get(workspaceId);
      if (hit && hit.expires > Date.now()) return hit.value;
      const ws = await store.getWorkspace(workspaceId);
      const value = ws?.consentDefault ?? "denied";
      consent.set(workspaceId, { value, expires: Date.now() + CONSENT_TTL_MS });
      return value;
    },
    openIp: (sealed: string): string | null => {
      try {
        return cipher.decrypt(sealed);
      } catch {
        return null;
      }
    },
  };

  /** Makes `next` the set of destinations: routing at once, workers started and stopped. */
  function apply(next: Map<string, ActiveDestination>): void {
    const removed = [...active.keys()].filter((id) => !next.has(id));
    active.clear();
    for (const [id, d] of next) active.set(id, d);
    if (!running || !config.outboxEnabled) return;
    for (const id of removed) {
      const w = workers.get(id);
      workers.delete(id);
      if (w) void w.stop(STOP_GRACE_MS);
    }
    for (const [id, d] of active) {
      if (workers.has(id)) continue;
      const w = new OutboxWorker(d, workerDeps);
      workers.set(id, w);
      w.start();
    }
  }

  async function reload(): Promise<void> {
    const seen = changes;
    const list = await store.listDestinations(null);
    if (seen !== changes) return; // a local change happened meanwhile: the next reload sees it
    const next = new Map<string, ActiveDestination>();
    for (const record of list) {
      const d = activate(record);
      if (d) next.set(record.id, d);
    }
    apply(next);
  }

  /**
   * Records stored before routes were kept: Google Ads and LinkedIn destinations without an
   * `events` list take the events their config maps, which only an opened config tells.
   */
  async function fillRoutes(): Promise<void> {
    for (const d of active.values()) {
      if (d.record.routeEvents != null) continue;
      const route = routeEventsOf(d.record.events, d.config);
      if (route === null) continue;
      await store.setDestinationRoute(d.record.workspaceId, d.record.id, route);
      d.record.routeEvents = route;
    }
  }

  /** A reload soon, once, for destinations another node changed (their rows are waiting). */
  let soon: NodeJS.Timeout | null = null;
  function reloadSoon(): void {
    if (soon || !running) return;
    soon = setTimeout(() => {
      soon = null;
      reload().catch((err: unknown) =>
        logger.warn({ err: { message: (err as Error).message } }, "reloading destinations failed"),
      );
    }, SOON_MS);
    soon.unref();
  }

  const registry: DestinationRegistry = {
    configOf: (record) => active.get(record.id)?.config ?? configOf(record),
    added(record, cfg) {
      changes++;
      const d = activate(record, cfg);
      if (!d) return;
      apply(new Map([...active, [record.id, d]]));
    },
    removed(id) {
      changes++;
      const next = new Map(active);
      next.delete(id);
      apply(next);
    },
    wake: (id) => workers.get(id)?.wake(),
    policy,
  };

  return {
    async start() {
      running = true;
      await reload(); // starts a worker per destination (when the outbox runs here)
      await fillRoutes();
      if (config.outboxEnabled) {
        // The commit is durable when the bus hears of it: wake that workspace's workers now.
        unsubscribe = bus.subscribe((m) => {
          if (m.type === "destinations_changed") {
            if (m.remote) reloadSoon(); // this node's own changes applied already
            return;
          }
          if (
            m.type !== "conversion" &&
            m.type !== "signal" &&
            m.type !== "adjustment" &&
            !(m.type === "test_event" && m.status === "accepted")
          )
            return;
          for (const [id, d] of active) if (d.record.workspaceId === m.workspaceId) workers.get(id)?.wake();
        });
      }
      reloadTimer = setInterval(() => {
        reload().catch((err: unknown) =>
          logger.warn({ err: { message: (err as Error).message } }, "reloading destinations failed"),
        );
      }, RELOAD_MS);
      reloadTimer.unref();
    },

    async stop() {
      running = false;
      if (reloadTimer) clearInterval(reloadTimer);
      if (soon) clearTimeout(soon);
      unsubscribe?.();
      const all = [...workers.values()];
      workers.clear();
      await Promise.all(all.map((w) => w.stop(STOP_GRACE_MS)));
      await http?.close();
    },

    registry,
  };
}
