/**
 * Forwarding to ad platforms: which destinations an event goes to (routing, used by the
 * ingest pipeline to write outbox rows in the event's transaction), the delivery workers, and
 * the destination endpoints. main.ts wires this in; nothing else imports destinations/.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { AppDeps } from "../http/deps.js";
import type { PromMetrics } from "../monitoring/prometheus.js";
import type { Bus } from "../realtime/bus.js";
import type { Cipher } from "../security/cipher.js";
import type { Store } from "../storage/storage.js";

export interface ForwardingDeps {
  store: Store;
  cipher: Cipher;
  logger: Logger;
  config: Config;
  prom: PromMetrics;
  bus: Bus;
}

export interface Forwarding {
  /** Destination ids an event goes to; synchronous (cached), called on the ingest path. */
  route(workspaceId: string, eventName: string, isTest: boolean): string[];
  /** Loads the routing cache and starts the delivery workers (when enabled). */
  start(): Promise<void>;
  /** Stops claiming; waits for in-flight sends to be marked. */
  stop(): Promise<void>;
  routes(app: FastifyInstance, deps: AppDeps): void;
}

export function createForwarding(_deps: ForwardingDeps): Forwarding {
  return {
    route: () => [],
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    routes: () => {},
  };
}
