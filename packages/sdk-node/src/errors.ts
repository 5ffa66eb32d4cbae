import type { TallyEvent } from "./event.js";

/** The error object of the Tally HTTP contract: `{"error": {code, message, details}}`. */
export interface TallyErrorObject {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Base class of every error the SDK reports, so one `instanceof` catches them all.
 *
 * @example
 * new Tally({ endpoint, secretKey, onError: (err) => { if (err instanceof TallyError) log.warn(err.message) } });
 */
export class TallyError extends Error {
  override name = "TallyError";
}

/**
 * Thrown by `track()` when `maxQueueSize` events are already waiting (queued or being sent),
 * typically because the server has been unreachable for a while. The event is not queued.
 *
 * @example
 * try { tally.track(event) } catch (err) { if (err instanceof TallyQueueFullError) spillToDisk(event) }
 */
export class TallyQueueFullError extends TallyError {
  override name = "TallyQueueFullError";
  constructor(readonly maxQueueSize: number) {
    super(`Tally: the queue already holds ${maxQueueSize} events (maxQueueSize); the event was not queued.`);
  }
}

/**
 * Thrown by `track()` after `close()`.
 *
 * @example
 * await tally.close();
 * tally.track(event); // throws TallyClosedError
 */
export class TallyClosedError extends TallyError {
  override name = "TallyClosedError";
  constructor() {
    super("Tally: the client is closed; create a new one to send more events.");
  }
}

/**
 * A batch the server refused as a whole, with the server's error object. `retryable` is
 * false for a 4xx that would fail again (400, 401, 403, 404, 413, 415, 422 …) and true when
 * the SDK gave up retrying a 429 or 5xx. `events` are the events that were not stored.
 *
 * @example
 * await tally.flush().catch((err) => { if (err instanceof TallyApiError && err.status === 401) rotateKey() });
 */
export class TallyApiError extends TallyError {
  override name = "TallyApiError";
  constructor(
    readonly status: number,
    readonly error: TallyErrorObject,
    readonly events: readonly TallyEvent[],
    readonly retryable: boolean,
  ) {
    super(`Tally: HTTP ${status} ${error.code}: ${error.message}`);
  }

  /** The error's `code` from the server, such as `unknown_key` or `validation_failed`. */
  get code(): string {
    return this.error.code;
  }
}

/**
 * A batch that could not reach the server (connection refused or reset, DNS, timeout) after
 * every retry. `events` are the events that were not stored.
 *
 * @example
 * tally.flush().catch((err) => { if (err instanceof TallyNetworkError) alert(err.cause) });
 */
export class TallyNetworkError extends TallyError {
  override name = "TallyNetworkError";
  constructor(
    message: string,
    readonly events: readonly TallyEvent[],
    options?: { cause?: unknown },
  ) {
    super(`Tally: ${message}`, options);
  }
}

/**
 * One event of a stored batch that the server rejected (a `rejected` entry in a `200`
 * response), such as an unknown event name or a missing `value` on a Purchase. It is not
 * retried: the same event would be rejected again.
 *
 * @example
 * onError: (err) => { if (err instanceof TallyEventRejectedError) log.warn(err.eventId, err.error.code) }
 */
export class TallyEventRejectedError extends TallyError {
  override name = "TallyEventRejectedError";
  constructor(
    readonly event: TallyEvent,
    readonly eventId: string,
    readonly error: TallyErrorObject,
  ) {
    super(`Tally: event ${eventId} (${event.event_name}) was rejected: ${error.code}: ${error.message}`);
  }
}
