/**
 * The live feed: `GET /v1/live` (WebSocket) fed by the bus, per-workspace, with slow
 * subscribers dropped; and the dashboard's static files at `/`. main.ts wires this in.
 */
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../http/deps.js";

export interface Live {
  /** Registers the WebSocket route (and anything else it serves). Called before listen. */
  routes(app: FastifyInstance, deps: AppDeps): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createLive(): Live {
  return {
    routes: () => Promise.resolve(),
    start: () => {},
    stop: () => Promise.resolve(),
  };
}
