/**
 * Delivers alert notifications from the outbox (`alert_outbox`, written in the alert's own
 * transaction): claims due rows under a lease, sends, and marks them — delivered, or pending
 * again after a backoff with jitter (never sooner than a `Retry-After`), or dead after
 * `maxAttempts` or a refusal for good. A crashed node's leased rows come back when the lease
 * ends, so a channel that is down, or a node that dies mid-send, loses no alert (a receiver may
 * see one twice: the body's `data.id` and `status` identify it).
 */
import type { Logger } from "pino";
import { backoffDelay } from "../destinations/backoff.js";
import type { SendAlert } from "../destinations/alert-channels/channel-send.js";
import { newId } from "../domain/ids.js";
import { alertJson } from "../monitoring/alert-json.js";
import type { Cipher } from "../security/cipher.js";
import type {
  ChannelDeliveryJob,
  ChannelDeliveryUpdate,
  MonitoringStore,
} from "../storage/monitoring-store.js";
import type { ChannelConfig } from "./channel-config.js";

export interface ChannelWorkerDeps {
  store: MonitoringStore;
  cipher: Cipher;
  sendAlert: SendAlert;
  logger: Logger;
  maxAttempts?: number;
  retryBaseMs?: number;
  pollMs?: number;
  leaseMs?: number;
  now?: () => number;
}

export function createChannelWorker(deps: ChannelWorkerDeps) {
  const maxAttempts = deps.maxAttempts ?? 20;
  const baseMs = deps.retryBaseMs ?? 1000;
  const leaseMs = deps.leaseMs ?? 60_000;
  const now = deps.now ?? Date.now;
  const owner = newId("chw");
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;

  async function deliver(job: ChannelDeliveryJob): Promise<ChannelDeliveryUpdate> {
    const attempts = job.attempts + 1;
    const alert = { ...alertJson(job.alert), status: job.transition };
    if (job.transition === "firing") alert.resolved_at = null;
    let outcome;
    try {
      const config = JSON.parse(deps.cipher.decrypt(job.channel.configEnc)) as ChannelConfig;
      outcome = await deps.sendAlert(config, alert);
    } catch (err) {
      outcome = { kind: "retry" as const, error: (err as Error).message };
    }
    const t = now();
    if (outcome.kind === "done")
      return {
        id: job.id,
        workspaceId: job.alert.workspaceId,
        status: "delivered",
        attempts,
        lastError: null,
        nextAttemptAt: t,
        deliveredAt: t,
      };
    if (outcome.kind === "failed" || attempts >= maxAttempts) {
      deps.logger.warn({ channel: job.channel.id, alert: job.alert.id }, "an alert notification is dead");
      return {
        id: job.id,
        workspaceId: job.alert.workspaceId,
        status: "dead",
        attempts,
        lastError: outcome.error,
        nextAttemptAt: t,
        deliveredAt: null,
      };
    }
    const retryAfter = outcome.kind === "retry" ? outcome.retryAfterMs : undefined;
    return {
      id: job.id,
      workspaceId: job.alert.workspaceId,
      status: "pending",
      attempts,
      lastError: outcome.error,
      nextAttemptAt: t + backoffDelay(attempts, baseMs, retryAfter),
      deliveredAt: null,
    };
  }

  async function runOnce(): Promise<void> {
    do {
      again = false;
      const jobs = await deps.store.claimChannelDeliveries(20, now(), leaseMs, owner);
      if (jobs.length === 0) return;
      const updates = await Promise.all(jobs.map(deliver));
      await deps.store.completeChannelDeliveries(updates, owner);
      if (jobs.length === 20) again = true;
    } while (again);
  }

  const kick = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = runOnce()
      .catch((err: unknown) =>
        deps.logger.warn({ err: { message: (err as Error).message } }, "alert channel delivery failed"),
      )
      .finally(() => (running = null));
    return running;
  };

  return {
    start() {
      timer = setInterval(() => void kick(), deps.pollMs ?? 1000);
      timer.unref();
    },
    /** Sends what is due now (after an alert fired or resolved). */
    wake: kick,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
