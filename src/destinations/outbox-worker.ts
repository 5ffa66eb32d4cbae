/**
 * The delivery loop of ONE destination: claim due outbox rows under a lease (a request's
 * worth in one statement), prepare each event for the platform, send in batches of
 * the platform's size with a timeout (a few requests at once), classify the answer per event,
 * and mark the rows (one statement per claim). One loop per destination, so a slow or failing
 * platform never delays another one nor ingestion (which only writes the rows).
 *
 * Delivery is at least once: a crash between send and mark leaves the rows leased; when the
 * lease runs out they are claimed and sent again with the same dedup id, which the platform
 * uses to count the event once.
 *
 * Every change of a row's state is `nextDeliveryState` (delivery-state.ts, with the diagram);
 * this file only turns it into times (backoff with full jitter, ≥ Retry-After) and writes.
 */
import { redactIps } from "../domain/ip.js";
import type { Logger } from "pino";
import type { ConsentDefault } from "../domain/workspace.js";
import type { PromMetrics } from "../monitoring/prometheus.js";
import type { DeliveryJob, DeliveryUpdate, DestinationRecord, Store } from "../storage/storage.js";
import { backoffDelay } from "./backoff.js";
import type { DestinationConfig } from "./config-schema.js";
import { dedupId } from "./dedup-id.js";
import { nextDeliveryState, type DeliveryOutcome } from "./delivery-state.js";
import type { BatchOutcome, PlatformAdapter, PrepareContext, RowOutcome, Send } from "./types.js";
import { userDataAllowed } from "./user-data-allowed.js";

export interface ActiveDestination {
  record: DestinationRecord;
  config: DestinationConfig;
  adapter: PlatformAdapter<DestinationConfig, unknown>;
}

export interface WorkerDeps {
  store: Store;
  logger: Logger;
  prom: PromMetrics;
  send: Send;
  /** Lease owner id of this process. */
  owner: string;
  /** Longest idle wait before looking for due rows again (retries, other nodes' rows). */
  pollMs: number;
  consentDefault(workspaceId: string): Promise<ConsentDefault>;
  /** The client IP from its sealed form; null when it cannot be opened. */
  openIp(sealed: string): string | null;
  now?: () => number;
  random?: () => number;
}

/** Rows claimed at once when the platform takes one event per request (webhooks). */
const SINGLE_EVENT_CLAIM = 8;
/**
 * Requests of one claim sent at the same time: a webhook's single events, or a claim split into
 * groups (test event codes).
 */
const REQUEST_CONCURRENCY = 4;
/**
 * Rows of one claim for platforms that take batches: one full request, and at least this many.
 * Claims of four requests' worth (up to 5,000 rows) drained a backlog with fewer statements,
 * but each claim and settlement was one operation of SQLite's writer for 50–100 ms, and a
 * request ingesting meanwhile waited for it: 100-event requests took 170–183 ms at the median
 * during a drain instead of 18 (docs/benchmarks.md, "the outbox drain beside ingestion").
 */
const MIN_CLAIM_ROWS = 1000;

/** Jobs prepared between two turns of the event loop (see process). */
const PREPARE_SLICE = 100;

/** Rows claimed at once for a platform that takes `batchLimit` events per request. */
export function claimSizeFor(batchLimit: number): number {
  if (batchLimit === 1) return SINGLE_EVENT_CLAIM;
  return Math.max(batchLimit, MIN_CLAIM_ROWS);
}

interface Entry {
  job: DeliveryJob;
  item: unknown;
  dedupId: string;
}

/**
 * The lease must outlive a claimed batch's work: the first send, the halves of an isolation
 * and the writes. Past it, the rows may be claimed (and sent) again.
 */
export function leaseMsFor(timeoutMs: number): number {
  return timeoutMs * 3 + 5000;
}

export class OutboxWorker {
  private readonly d: ActiveDestination;
  private readonly deps: WorkerDeps;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private readonly claimSize: number;
  private readonly leaseMs: number;
  private stopping = false;
  private woken = false;
  private wakeIdle: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(destination: ActiveDestination, deps: WorkerDeps) {
    this.d = destination;
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.claimSize = claimSizeFor(destination.adapter.batchLimit);
    this.leaseMs = leaseMsFor(destination.config.timeout_ms);
  }

  get id(): string {
    return this.d.record.id;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New rows may be due: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    const w = this.wakeIdle;
    this.wakeIdle = null;
    w?.();
  }

  /**
   * Stops claiming and lets in-flight requests finish for `graceMs`; then aborts them. An
   * aborted request's rows go back to pending without counting the attempt.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    const loop = this.loop ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([loop, grace]);
    clearTimeout(timer);
    this.abort.abort();
    await loop;
  }

  private async run(): Promise<void> {
    const parallel = this.d.adapter.parallel;
    while (!this.stopping) {
      if (this.inflight.size >= parallel) {
        await Promise.race(this.inflight);
        continue;
      }
      this.woken = false;
      let jobs: DeliveryJob[];
      try {
        jobs = await this.deps.store.claimDeliveries(
          this.d.record.workspaceId,
          this.id,
          this.claimSize,
          this.now(),
          this.leaseMs,
          this.deps.owner,
        );
      } catch (err) {
        this.deps.logger.warn(
          { destination: this.id, err: { message: (err as Error).message } },
          "claiming deliveries failed",
        );
        await this.idle(this.deps.pollMs);
        continue;
      }
      if (jobs.length === 0) {
        await this.idle(this.deps.pollMs);
        continue;
      }
      const p: Promise<void> = this.process(jobs)
        .catch((err: unknown) =>
          this.deps.logger.error(
            { destination: this.id, err: { message: (err as Error).message } },
            "a delivery batch failed",
          ),
        )
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
    await Promise.allSettled([...this.inflight]);
  }

  /** Waits for a wake-up or `ms`. */
  private idle(ms: number): Promise<void> {
    if (this.woken || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeIdle = done;
    });
  }

  private async process(jobs: DeliveryJob[]): Promise<void> {
    const { record, config, adapter } = this.d;
    const claimedAt = this.now();
    const consentDefault = await this.deps.consentDefault(record.workspaceId);
    const updates: DeliveryUpdate[] = [];
    const groups = new Map<string, Entry[]>();

    let prepared = 0;
    for (const job of jobs) {
      // A claim holds a thousand rows or more: requests that arrived meanwhile go first
      // between slices, so a backlog's drain does not hold the event loop for its whole claim.
      if (++prepared % PREPARE_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (job.kind !== "event") {
        // Not an event (a rule's signal, an adjustment): the adapter makes it a request body, or refuses it.
        const pctx =
          job.kind === "adjustment"
            ? {
                event: job.event,
                userData: job.event !== null && userDataAllowed(job.event.consent, consentDefault),
                dedupId: job.event ? dedupId(job.event) : null,
              }
            : undefined;
        const p = adapter.preparePayload?.(job.kind, job.payload, config, pctx) ?? {
          ok: false as const,
          error: `${record.type} does not take ${job.kind}s`,
        };
        if (!p.ok) updates.push(this.update(job, job.ref, { status: "skipped", error: p.error }));
        else groups.set(p.group, [...(groups.get(p.group) ?? []), { job, item: p.item, dedupId: job.ref }]);
        continue;
      }
      const ev = job.event;
      const id = dedupId(ev);
      const isTest = ev.testEventCode !== null;
      if (isTest && !adapter.testMode) {
        updates.push(
          this.update(job, id, {
            status: "skipped",
            error: `${record.type} has no test mode: test events are not sent to it`,
          }),
        );
        continue;
      }
      const allowed = userDataAllowed(ev.consent, consentDefault);
      const ctx: PrepareContext = {
        now: claimedAt,
        userData: allowed,
        clientIp:
          allowed && adapter.usesClientIp && ev.user.client_ip_enc
            ? this.deps.openIp(ev.user.client_ip_enc)
            : null,
        testEventCode: isTest ? (testCodeOf(config) ?? ev.testEventCode) : null,
        dedupId: id,
      };
      const p = adapter.prepare(ev, config, ctx);
      if (!p.ok) {
        updates.push(this.update(job, id, { status: "skipped", error: p.error }));
        continue;
      }
      const list = groups.get(p.group) ?? [];
      list.push({ job, item: p.item, dedupId: id });
      groups.set(p.group, list);
    }

    const requests: { group: string; entries: Entry[] }[] = [];
    for (const [group, entries] of groups)
      for (let i = 0; i < entries.length; i += adapter.batchLimit)
        requests.push({ group, entries: entries.slice(i, i + adapter.batchLimit) });
    const deadline = claimedAt + this.leaseMs - config.timeout_ms - 2000;
    await forEachLimit(requests, REQUEST_CONCURRENCY, async (r) => {
      const outcomes = await this.sendIsolating(r.group, r.entries, deadline);
      r.entries.forEach((e, i) => updates.push(this.update(e.job, e.dedupId, outcomes[i]!)));
    });

    await this.deps.store.completeDeliveries(record.workspaceId, updates, this.deps.owner);
    this.afterComplete(updates);
  }

  /**
   * Sends one request; when the platform refuses all of it for something one event may have
   * caused, sends each half again (while the lease leaves time), so only the poison event fails.
   */
  private async sendIsolating(group: string, entries: Entry[], deadline: number): Promise<DeliveryOutcome[]> {
    const outcome = await this.sendOnce(group, entries);
    if (outcome === "requeue") return entries.map(() => ({ status: "interrupted" }));
    if (outcome.kind === "rows") return outcome.rows;
    if (
      outcome.kind === "failed" &&
      outcome.isolate &&
      entries.length > 1 &&
      this.now() < deadline &&
      !this.stopping
    ) {
      const mid = Math.ceil(entries.length / 2);
      const left = await this.sendIsolating(group, entries.slice(0, mid), deadline);
      const right = await this.sendIsolating(group, entries.slice(mid), deadline);
      return [...left, ...right];
    }
    const row: RowOutcome =
      outcome.kind === "retry"
        ? {
            status: "retry",
            code: outcome.code,
            error: outcome.error,
            ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
          }
        : outcome.isolate && entries.length > 1
          ? // Out of time to find the poison event: try the whole group again later.
            { status: "retry", code: outcome.code, error: outcome.error }
          : { status: "failed", code: outcome.code, error: outcome.error };
    return entries.map(() => row);
  }

  private async sendOnce(group: string, entries: Entry[]): Promise<BatchOutcome | "requeue"> {
    const { config, adapter } = this.d;
    let accessToken: string | undefined;
    if (adapter.authorize) {
      const auth = await adapter.authorize(config, this.deps.send, this.now());
      if (!auth.ok) return auth.outcome;
      accessToken = auth.accessToken;
    }
    const ctx = {
      nowSeconds: Math.floor(this.now() / 1000),
      ...(accessToken !== undefined ? { accessToken } : {}),
    };
    const req = adapter.build(
      entries.map((e) => e.item),
      config,
      group,
      ctx,
    );
    const answer = await this.deps.send(req, config.timeout_ms, this.abort.signal);
    if (this.abort.signal.aborted && answer.kind !== "response") return "requeue";
    if (answer.kind === "timeout")
      return { kind: "retry", code: null, error: `no answer within ${answer.ms} ms (timeout)` };
    if (answer.kind === "network")
      return { kind: "retry", code: null, error: `network error: ${answer.message}` };
    // Refused by the endpoint policy (TALLY_ALLOW_PRIVATE_ENDPOINTS): for good, nothing was sent.
    if (answer.kind === "refused")
      return { kind: "failed", code: null, error: `endpoint_not_allowed: ${answer.message}`, isolate: false };
    return adapter.classify(answer, entries.length);
  }

  /** The row's next state (delivery-state.ts), with its times. */
  private update(job: DeliveryJob, id: string, outcome: DeliveryOutcome): DeliveryUpdate {
    const now = this.now();
    const next = nextDeliveryState(
      { status: "pending", attempts: job.attempts, maxAttempts: this.d.config.max_attempts },
      outcome,
    );
    const at =
      next.due === "now"
        ? now
        : next.due === "backoff"
          ? now +
            backoffDelay(next.attempts, this.d.config.retry_base_ms, next.retryAfterMs, this.deps.random)
          : null;
    return deliveryUpdate(
      job.id,
      id,
      next.attempts,
      next.status,
      next.code ?? null,
      next.error ?? null,
      at,
      next.delivered ? now : null,
    );
  }

  private afterComplete(updates: DeliveryUpdate[]): void {
    const type = this.d.record.type;
    const counts = new Map<string, number>();
    let soonest = Infinity;
    let problem: DeliveryUpdate | null = null;
    for (const u of updates) {
      const key = u.status === "pending" ? "retry" : u.status;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (u.status === "pending" && u.nextAttemptAt !== null) soonest = Math.min(soonest, u.nextAttemptAt);
      if (u.status !== "delivered" && u.lastError) problem ??= u;
    }
    for (const [status, n] of counts) this.deps.prom.deliveries.inc({ type, status }, n);
    if (problem) {
      this.deps.logger.warn(
        {
          destination: this.id,
          type,
          status: problem.status,
          code: problem.lastStatusCode,
          counts: Object.fromEntries(counts),
        },
        `delivery problem: ${problem.lastError ?? ""}`,
      );
    }
    // A retry due before the next poll: wake up for it rather than waiting a whole poll.
    const wait = soonest - this.now();
    if (Number.isFinite(wait) && wait < this.deps.pollMs)
      setTimeout(() => this.wake(), Math.max(0, wait)).unref();
  }
}

/** One flat literal per row: a batch makes thousands of these. */
function deliveryUpdate(
  id: string,
  dedup: string,
  attempts: number,
  status: DeliveryUpdate["status"],
  code: number | null,
  error: string | null,
  next: number | null,
  delivered: number | null,
): DeliveryUpdate {
  // A platform's answer may quote the client IP it was sent: never store or log it.
  return {
    id,
    status,
    attempts,
    lastStatusCode: code,
    lastError: error === null ? null : redactIps(error),
    nextAttemptAt: next,
    deliveredAt: delivered,
    dedupId: dedup,
  };
}

function testCodeOf(config: DestinationConfig): string | null {
  return config.type === "meta" || config.type === "tiktok" ? config.test_event_code : null;
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
