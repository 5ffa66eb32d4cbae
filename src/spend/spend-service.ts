/**
 * Spend's moving parts for a running Tally: the hub that tells listeners of stored spend, the
 * spend sources' scheduler with its policy-bound HTTP client, and the routes. `main.ts`
 * creates it, registers `routes`, and starts and stops it with the server.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { createEndpointPolicy, type EndpointPolicy, type Resolve } from "../destinations/endpoint-policy.js";
import { createHttpClient } from "../destinations/http-send.js";
import type { Send } from "../destinations/types.js";
import type { AppDeps } from "../http/deps.js";
import { spendRoutes } from "../http/routes/spend.js";
import type { Cipher } from "../security/cipher.js";
import type { Store } from "../storage/storage.js";
import { SpendHub } from "./spend-hub.js";
import { createSpendSync, type SpendSync } from "./spend-sync.js";

export interface SpendServiceDeps {
  store: Store;
  cipher: Cipher;
  logger: Logger;
  config: Pick<Config, "allowPrivateEndpoints">;
  /** Name resolution of the endpoint policy (tests map names to loopback). */
  resolve?: Resolve;
  /** Outbound HTTP (tests may inject one; default: the policy-bound client). */
  send?: Send;
  tickMs?: number;
}

export interface SpendService {
  hub: SpendHub;
  sync: SpendSync;
  policy: EndpointPolicy;
  routes(app: FastifyInstance, deps: AppDeps): void;
  start(): void;
  stop(): Promise<void>;
}

export function createSpendService(deps: SpendServiceDeps): SpendService {
  const policy = createEndpointPolicy({
    allowPrivate: deps.config.allowPrivateEndpoints,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const http = deps.send ? null : createHttpClient(policy);
  const hub = new SpendHub((err) =>
    deps.logger.error({ err: { message: (err as Error).message } }, "spend listener failed"),
  );
  const sync = createSpendSync({
    store: deps.store,
    cipher: deps.cipher,
    logger: deps.logger,
    send: deps.send ?? http!.send,
    hub,
    ...(deps.tickMs ? { tickMs: deps.tickMs } : {}),
  });
  return {
    hub,
    sync,
    policy,
    routes: (app, appDeps) => spendRoutes(app, appDeps, { hub, sync, policy }),
    start: () => sync.start(),
    async stop() {
      await sync.stop();
      await http?.close();
    },
  };
}
