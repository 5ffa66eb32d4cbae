import { setTimeout as sleep } from "node:timers/promises";
import { toBatches } from "./batches.js";
import {
  TallyApiError,
  TallyClosedError,
  TallyError,
  TallyEventRejectedError,
  TallyQueueFullError,
} from "./errors.js";
import { prepareEvent, type QueuedEvent, type TallyEvent } from "./event.js";
import { resolveOptions, type ResolvedOptions, type TallyOptions } from "./options.js";
import { addResult, emptyResult, type FlushResult } from "./response.js";
import { sendBatch, type SendContext } from "./send-batch.js";

/**
 * A client for Tally's server API. It queues tracked events in memory and sends them to
 * `POST /v1/events` in batches: when `flushAt` events are waiting, or `flushIntervalMs` after
 * the first of them. Batches go one at a time, in order; a failed batch is retried with
 * backoff, reusing its events' `event_id`s, so the server's dedup keeps retries harmless.
 *
 * Failures go to `onError`; `flush()` and `close()` also reject with them. The interval timer
 * is `unref()`ed, so an idle client never keeps the process alive, while a batch being sent or
 * retried does (so an awaited `flush()` can finish). Call `close()` before exiting, or queued
 * events are lost.
 *
 * @example
 * import { Tally } from "@tally/sdk-node";
 *
 * const tally = new Tally({ endpoint: "https://track.example.com", secretKey: "sk_…" });
 * tally.track({
 *   event_name: "Purchase",
 *   event_id: "order-1001",
 *   user_data: { email: "jane@example.com" },
 *   custom_data: { value: 99.99, currency: "USD", order_id: "1001" },
 * });
 * await tally.close(); // on shutdown
 */
export class Tally {
  readonly #options: ResolvedOptions;
  readonly #send: SendContext;
  #queue: QueuedEvent[] = [];
  /** Events taken from the queue whose batch has not settled yet. */
  #inFlight = 0;
  /** The tail of the send chain: batches go strictly one after another, in tracking order. */
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * @example
   * const tally = new Tally({ endpoint: "http://127.0.0.1:8787", secretKey: "sk_…", flushAt: 100 });
   */
  constructor(options: TallyOptions) {
    this.#options = resolveOptions(options);
    this.#send = { options: this.#options, sleep: (ms) => sleep(ms), random: Math.random, now: Date.now };
  }

  /**
   * Events waiting: queued plus being sent. `track()` throws once this reaches `maxQueueSize`.
   *
   * @example
   * if (tally.pending > 5000) metrics.gauge("tally.backlog", tally.pending);
   */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /**
   * Queue an event and return its `event_id` (generated now when the event has none, and
   * reused by every retry). Never waits for the network. Throws `TallyQueueFullError` when
   * `maxQueueSize` events are waiting, `TallyClosedError` after `close()`, and a TypeError for
   * an event that cannot be sent (no `event_name`, not serializable).
   *
   * @example
   * const id = tally.track({ event_name: "Lead", user_data: { external_id: "crm-77" } });
   */
  track(event: TallyEvent): string {
    if (this.#closed) throw new TallyClosedError();
    if (this.pending >= this.#options.maxQueueSize) throw new TallyQueueFullError(this.#options.maxQueueSize);
    const queued = prepareEvent(event, Date.now());
    this.#queue.push(queued);
    if (this.#queue.length >= this.#options.flushAt) this.#flushInBackground();
    else this.#timer ??= setTimeout(() => this.#flushInBackground(), this.#options.flushIntervalMs).unref();
    return queued.eventId;
  }

  /**
   * Record that a person saw `variant` of `experiment`: queues an `Exposure` event with both
   * in `custom_data` (what the browser tag's `tally('experiment', name, variant)` sends). The
   * person belongs to the first variant Tally sees them in; their later conversions count for
   * it whether or not they carry the fields. Returns the event's `event_id`.
   *
   * @example
   * tally.experiment("checkout-v2", "B", { user_data: { external_id: "crm-77" } });
   */
  experiment(experiment: string, variant: string, event: Omit<TallyEvent, "event_name"> = {}): string {
    return this.track({
      ...event,
      event_name: "Exposure",
      custom_data: { ...event.custom_data, experiment, variant },
    });
  }

  /**
   * Send everything queued now, after any batch already on its way. Resolves with the
   * results of the events it sent (rejected events included: each is also passed to
   * `onError`); rejects with the first `TallyApiError` or `TallyNetworkError` of a batch that
   * was refused or given up on — after trying all its other batches.
   *
   * @example
   * const { accepted, duplicates, rejected } = await tally.flush();
   */
  flush(): Promise<FlushResult> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const events = this.#queue;
    this.#queue = [];
    this.#inFlight += events.length;
    const { flushAt, maxBatchBytes, testEventCode } = this.#options;
    const batches = toBatches(events, flushAt, maxBatchBytes, testEventCode);
    const run = this.#chain.then(() => this.#sendAll(batches));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stop accepting events, stop the timer and flush what is queued. Resolves or rejects like
   * `flush()`. Calling it again is harmless.
   *
   * @example
   * process.once("SIGTERM", () => void tally.close().finally(() => process.exit(0)));
   */
  close(): Promise<FlushResult> {
    this.#closed = true;
    return this.flush();
  }

  #flushInBackground(): void {
    // Failures already went to onError; nothing is left to do with them here.
    this.flush().catch(() => undefined);
  }

  #report(error: TallyError): void {
    try {
      this.#options.onError(error);
    } catch {
      // A throwing callback must not break delivery of the other batches.
    }
  }

  async #sendAll(batches: QueuedEvent[][]): Promise<FlushResult> {
    const total = emptyResult();
    let firstError: TallyError | undefined;
    const work = [...batches];
    for (;;) {
      const batch = work.shift();
      if (batch === undefined) break;
      try {
        const result = await sendBatch(batch, this.#send);
        addResult(total, result);
        this.#reportRejected(batch, result);
      } catch (err) {
        // A server with a smaller body limit than ours: halve the batch and send both halves.
        if (err instanceof TallyApiError && err.status === 413 && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          work.unshift(batch.slice(0, half), batch.slice(half));
          continue;
        }
        const error = err instanceof TallyError ? err : new TallyError(String(err), { cause: err });
        firstError ??= error;
        this.#report(error);
      }
      this.#inFlight -= batch.length;
    }
    if (firstError) throw firstError;
    return total;
  }

  #reportRejected(batch: readonly QueuedEvent[], result: FlushResult): void {
    result.results.forEach((r, i) => {
      const queued = batch[i];
      if (r.status === "rejected" && r.error && queued) {
        this.#report(new TallyEventRejectedError(queued.event, queued.eventId, r.error));
      }
    });
  }
}
