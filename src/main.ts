/**
 * The only place that wires concrete parts together: config → store → pipeline → HTTP,
 * plus the background work (latency flush, purge, live feed, delivery workers).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Logger, DestinationStream } from "pino";
import type { Config } from "./config/config.js";
import { DAY_MS } from "./domain/time.js";
import { createMonitor } from "./monitoring/monitor.js";
import { createChannelWorker } from "./alerts/channel-worker.js";
import { createChannelSender } from "./destinations/alert-channels/channel-send.js";
import { Auth } from "./http/auth.js";
import type { AppDeps } from "./http/deps.js";
import { createClientLimiter } from "./http/client-limit.js";
import { RateLimiter } from "./http/rate-limit.js";
import { Readiness } from "./http/readiness.js";
import { buildServer } from "./http/server.js";
import { LatencyRecorder } from "./monitoring/latency-recorder.js";
import { createLogger } from "./monitoring/logger.js";
import { createPromMetrics } from "./monitoring/prometheus.js";
import { createIngestPipeline } from "./pipeline/ingest-pipeline.js";
import { LinkResolver } from "./pipeline/link-resolver.js";
import { Bus } from "./bus.js";
import { keySourceOf, unlockStore } from "./security/key-check.js";
import { ADMIN_TOKEN_HASH_FILE, loadSecrets } from "./security/secrets.js";
import { loadDatacenterRanges, RANGES_FILE } from "./quality/datacenter-ranges.js";
import { addressKeySecret, createAddressKeyer } from "./quality/address-key.js";
import { createQualityEdge } from "./quality/input.js";
import { createSettingsCache } from "./quality/settings-cache.js";
import { createBotCheck } from "./quality/user-agent.js";
import { openStore } from "./open-store.js";
import { createTouchPipeline } from "./pipeline/touch-pipeline.js";
import type { NotifyBridge } from "./storage/postgres/notify-bridge.js";
import { newId } from "./domain/ids.js";
import { createForwarding } from "./destinations/forwarding.js";
import type { Resolve } from "./destinations/endpoint-policy.js";
import { createLive } from "./realtime/live.js";
import { createSpendService } from "./spend/spend-service.js";
import { ruleRoutes } from "./http/routes/rules.js";
import { RuleEngine } from "./rules/rule-engine.js";
import { performanceWindow } from "./rules/window-source.js";
import { SignalApplier } from "./rules/apply-signal.js";
import { budgetCredentials } from "./destinations/budget-clients.js";
import { createEndpointPolicy } from "./destinations/endpoint-policy.js";
import { createHttpClient } from "./destinations/http-send.js";
import { signalDestinations } from "./destinations/signal-targets.js";
import type { Store } from "./storage/storage.js";
import { WorkspaceDirectory } from "./workspaces/directory.js";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export interface RunningTally {
  app: FastifyInstance;
  deps: AppDeps;
  url: string;
  /** The admin token when this process knows it (from the environment, or generated on this run). */
  adminToken: string | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  logDestination?: DestinationStream;
  logger?: Logger;
  /** Do not listen (tests using inject()). */
  listen?: boolean;
  /** Name resolution of the outbound endpoint policy (tests map test names to loopback). */
  resolve?: Resolve;
}

export async function startTally(config: Config, opts: StartOptions = {}): Promise<RunningTally> {
  const logger = opts.logger ?? createLogger(config.logLevel, opts.logDestination);
  const secrets = loadSecrets(config.dataDir, config.adminToken, config.encryptionKey);
  if (secrets.admin.created) {
    // Printed once, on the run that generated it: only its hash is kept (mode 0600).
    process.stdout.write(
      `\nTally admin token (shown once: store it now; only its hash is kept, in ${join(config.dataDir, ADMIN_TOKEN_HASH_FILE)}):\n  ${secrets.admin.token}\n\n`,
    );
  }
  if (secrets.admin.migrated)
    logger.info(
      { file: ADMIN_TOKEN_HASH_FILE },
      "the plain admin-token file was replaced by the token's hash; the token is unchanged",
    );
  // The cloud providers' ranges behind `datacenter_ip` (`tally quality refresh-ranges`); none
  // loaded: the flag is never set.
  const datacenter = loadDatacenterRanges(config.dataDir);
  if (datacenter.problem)
    logger.warn({ file: RANGES_FILE }, `datacenter ranges not loaded: ${datacenter.problem}`);
  else if (datacenter.providers.length > 0)
    logger.info({ providers: datacenter.providers }, "datacenter ranges loaded");
  const store: Store = await openStore(config);
  // A key that cannot read what the store holds refuses to start (nodes of one database
  // need the same key): better than forwarding nothing of theirs without an error.
  const cipher = await unlockStore(
    store,
    secrets.encryptionKey,
    keySourceOf(config.dataDir, config.encryptionKey, config.databaseUrl !== null),
  ).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const prom = createPromMetrics();
  const bus = new Bus((err) =>
    logger.error({ err: { message: (err as Error).message } }, "live subscriber failed"),
  );
  // With several nodes on PostgreSQL, conversions stored by other nodes reach this node's live
  // feed through LISTEN/NOTIFY, re-published on the local bus as `remote`.
  let bridge: NotifyBridge | null = null;
  if (config.databaseUrl) {
    const { startNotifyBridge } = await import("./storage/postgres/notify-bridge.js");
    const b = await startNotifyBridge({ url: config.databaseUrl, bus, nodeId: newId("node"), logger });
    bus.subscribe((m) => {
      if (!m.remote) void b.publishLocal([m]);
    });
    bridge = b;
  }
  const latency = new LatencyRecorder();
  const directory = new WorkspaceDirectory(store);
  const links = new LinkResolver(store);
  const readiness = new Readiness(store, (reason) =>
    logger.error({ err: { message: reason } }, "the store is not reachable"),
  );
  const auth = new Auth({
    directory,
    store,
    adminTokenHash: secrets.admin.hash,
    limiter: config.rateLimitPerSecond > 0 ? new RateLimiter(config.rateLimitPerSecond) : null,
  });

  const forwarding = createForwarding({
    store,
    cipher,
    logger,
    config,
    prom,
    bus,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  });
  const live = createLive({
    store,
    bus,
    logger,
    stillValid: (p) => auth.stillValid(p),
    limits: {
      perWorkspace: config.liveMaxPerWorkspace,
      perClient: config.liveMaxPerClient,
      maxBufferedBytes: config.liveMaxBufferedBytes,
    },
  });
  const spend = createSpendService({
    store,
    cipher,
    logger,
    config,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  });
  // Rules: evaluated on every published conversion and once a minute (rules/rule-engine.ts);
  // signals of rules with `apply` change budgets through the platform (rules/apply-signal.ts).
  const budgetHttp = createHttpClient(
    createEndpointPolicy({
      allowPrivate: config.allowPrivateEndpoints,
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    }),
  );
  const applier = new SignalApplier({
    store,
    bus,
    logger,
    send: budgetHttp.send,
    credentials: (workspaceId, sourceId) => budgetCredentials(store, cipher, workspaceId, sourceId),
  });
  const rules = new RuleEngine({
    onApply: () => applier.kick(),
    store,
    bus,
    logger,
    window: performanceWindow(store),
    signalTargets: (workspaceId) => signalDestinations(store, cipher, workspaceId),
  });
  // Traffic quality at the edge: the address becomes a key (HMAC, same on every node of one
  // database) and a datacenter bit before anything else sees it; user agents judged by isbot.
  const qualityEdge = createQualityEdge({
    keyOf: createAddressKeyer(addressKeySecret(secrets.encryptionKey)),
    datacenter: datacenter.matcher,
    isBot: createBotCheck(),
  });
  const pipeline = createIngestPipeline({
    store,
    bus,
    cipher,
    latency,
    links,
    ...(config.trafficQuality ? { quality: qualityEdge } : {}),
    limits: {
      maxEventAgeDays: config.maxEventAgeDays,
      maxFutureMinutes: config.maxFutureMinutes,
      ipRetentionDays: config.ipRetentionDays,
    },
    onLinksRefused: (n) => prom.identityLinksRefused.inc(n),
  });

  const touches = createTouchPipeline({
    store,
    ...(config.trafficQuality
      ? {
          quality: {
            edge: qualityEdge,
            settingsOf: createSettingsCache(async (id) => (await store.getWorkspace(id))?.quality ?? null),
          },
        }
      : {}),
    limits: { maxTouchAgeDays: config.maxTouchAgeDays, maxFutureMinutes: config.maxFutureMinutes },
  });

  const deps: AppDeps = {
    config,
    store,
    bus,
    pipeline,
    touches,
    directory,
    links,
    cipher,
    auth,
    logger,
    prom,
    readiness,
    clientLimiter: createClientLimiter(config.rateLimitPerIp),
    publicDir: join(repoRoot(), "dist", "public"),
    live,
    destinations: forwarding.registry,
    // Other nodes hear of it through the bridge and start (or stop) their workers at once.
    onDestinationsChanged: (workspaceId) => bus.publish({ type: "destinations_changed", workspaceId }),
  };
  const app = await buildServer(deps, [
    (a, d) =>
      ruleRoutes(a, d, {
        engine: rules,
        spendSourceExists: async (ws, id) => (await store.spend.getSource(ws, id)) !== null,
      }),
    (a, d) => spend.routes(a, d),
  ]);
  await forwarding.start();
  live.start();
  await rules.start();
  applier.start();
  spend.start();
  // Spend stored (sent, imported, pulled): the workspace's rules see it at once.
  spend.hub.subscribe((workspaceId) => rules.spendChanged(workspaceId));

  const timers: NodeJS.Timeout[] = [];
  const flushLatency = async () => {
    const d = latency.drain();
    if (d.length)
      await store
        .addRollups(d)
        .catch((err: unknown) =>
          logger.warn({ err: { message: (err as Error).message } }, "latency flush failed"),
        );
  };
  timers.push(setInterval(() => void flushLatency(), 1000));
  const purge = () => {
    const now = Date.now();
    store
      .purge(
        now,
        now - config.dedupWindowDays * DAY_MS,
        now - Math.min(config.ipRetentionDays, config.dedupWindowDays) * DAY_MS,
      )
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, "purge failed"));
  };
  timers.push(setInterval(purge, 3_600_000));
  // Detectors over the series, every 5 s; alerts fire and resolve once (monitoring/monitor.ts).
  const monitor = createMonitor({ store, bus, logger });
  await monitor.start();
  // Alert channels: the outbox the alert transactions wrote, sent over the same endpoint policy.
  const channelHttp = createHttpClient(forwarding.registry.policy);
  const channels = createChannelWorker({
    store: store.monitoring,
    cipher,
    logger,
    sendAlert: createChannelSender({
      send: channelHttp.send,
      policy: forwarding.registry.policy,
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    }),
  });
  channels.start();
  bus.subscribe((m) => {
    if (m.type === "alert") void channels.wake();
  });
  for (const t of timers) t.unref();
  readiness.start();

  let url = "";
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host });
    logger.info({ url, store: store.kind }, "tally is listening");
  }

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      for (const t of timers) clearInterval(t);
      monitor.stop();
      readiness.stop();
      await live.stop();
      await rules.stop();
      await applier.stop();
      await budgetHttp.close();
      await bridge?.stop();
      readiness.markClosing();
      // Keep-alive connections become idle as their responses go out; close them as they do,
      // or the last ones would linger until the keep-alive timeout.
      const idle = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close(); // stops accepting, lets in-flight requests finish (their commits included)
      } finally {
        clearInterval(idle);
      }
      await forwarding.stop();
      await channels.stop();
      await channelHttp.close();
      await spend.stop();
      await flushLatency();
      await store.close(); // the writer drains its queue before closing
    })());

  return { app, deps, url, adminToken: secrets.admin.token, stop };
}
