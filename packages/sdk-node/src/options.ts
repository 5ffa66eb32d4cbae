import type { TallyError } from "./errors.js";
import type { RetryPolicy } from "./backoff.js";

/** The server's limit on events per request; `flushAt` cannot exceed it. */
export const MAX_BATCH_EVENTS = 1000;

/**
 * Settings of a {@link Tally} client. Only `endpoint` and `secretKey` are required.
 *
 * @example
 * const options: TallyOptions = {
 *   endpoint: "https://track.example.com",
 *   secretKey: process.env.TALLY_SECRET_KEY!,
 *   flushAt: 200,
 *   onError: (err) => logger.warn({ err }, "tally"),
 * };
 */
export interface TallyOptions {
  /** Base URL of the Tally server, such as `https://track.example.com`. */
  endpoint: string;
  /** The workspace's secret key (`sk_…`). Public keys (`pk_…`) belong in the browser tag. */
  secretKey: string;
  /** Send when this many events are queued (1–1000). Default 1000. */
  flushAt?: number;
  /** Send queued events at most this long after the first of them was tracked. Default 1000. */
  flushIntervalMs?: number;
  /** Most events waiting (queued or being sent) before `track()` throws `TallyQueueFullError`. Default 10 000. */
  maxQueueSize?: number;
  /** Largest request body in bytes; batches are cut to fit. Default 1 000 000 (the server allows 1 MiB). */
  maxBatchBytes?: number;
  /** Retries of one batch after a network error, 408, 429 or 5xx. Default 8. */
  maxRetries?: number;
  /** First backoff ceiling; it doubles per retry (full jitter). Default 500. */
  retryBaseMs?: number;
  /** Largest backoff ceiling. Default 30 000. */
  maxRetryDelayMs?: number;
  /** A server's `Retry-After` is honoured up to this many milliseconds. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Per-request timeout; a timeout is retried like a network error. Default 10 000. */
  timeoutMs?: number;
  /** Send every event as a test event (`test_event_code`): shown in the live test view, kept out of reports. */
  testEventCode?: string;
  /**
   * Called for every failure: a batch refused or given up on, and each event a server
   * rejected inside a `200`. Defaults to `process.emitWarning`. It must not throw; if it
   * does, the exception is ignored.
   */
  onError?: (error: TallyError) => void;
  /** The fetch implementation. Default: the global `fetch` of Node 20. */
  fetch?: typeof globalThis.fetch;
}

/** Options with every default applied, validated. */
export interface ResolvedOptions extends RetryPolicy {
  readonly eventsUrl: string;
  readonly secretKey: string;
  readonly flushAt: number;
  readonly flushIntervalMs: number;
  readonly maxQueueSize: number;
  readonly maxBatchBytes: number;
  readonly timeoutMs: number;
  readonly testEventCode: string | undefined;
  readonly onError: (error: TallyError) => void;
  readonly fetch: typeof globalThis.fetch;
}

function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`Tally: ${name} must be an integer from ${min} to ${max}, got ${String(value)}.`);
  }
  return v;
}

function defaultOnError(error: TallyError): void {
  process.emitWarning(error.message, { type: error.name });
}

/**
 * Validate options and fill in the defaults. Throws a TypeError or RangeError naming the
 * bad option: a client that cannot work should fail at construction, not at the first send.
 */
export function resolveOptions(options: TallyOptions): ResolvedOptions {
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw new TypeError(`Tally: endpoint must be an absolute URL, got ${JSON.stringify(options.endpoint)}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Tally: endpoint must be http: or https:, got ${url.protocol}`);
  }
  if (typeof options.secretKey !== "string" || !options.secretKey.startsWith("sk_")) {
    throw new TypeError(
      "Tally: secretKey must be a workspace secret key (sk_…); public keys (pk_…) are for the browser.",
    );
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== "function")
    throw new TypeError("Tally: no fetch available; pass the fetch option.");
  const day = 86_400_000;
  return {
    eventsUrl: `${url.origin}${url.pathname.replace(/\/+$/u, "")}/v1/events`,
    secretKey: options.secretKey,
    flushAt: integer("flushAt", options.flushAt, MAX_BATCH_EVENTS, 1, MAX_BATCH_EVENTS),
    flushIntervalMs: integer("flushIntervalMs", options.flushIntervalMs, 1000, 1, day),
    maxQueueSize: integer("maxQueueSize", options.maxQueueSize, 10_000, 1, 10_000_000),
    maxBatchBytes: integer("maxBatchBytes", options.maxBatchBytes, 1_000_000, 1024, 100_000_000),
    maxRetries: integer("maxRetries", options.maxRetries, 8, 0, 1000),
    retryBaseMs: integer("retryBaseMs", options.retryBaseMs, 500, 0, day),
    maxRetryDelayMs: integer("maxRetryDelayMs", options.maxRetryDelayMs, 30_000, 0, day),
    maxRetryAfterMs: integer("maxRetryAfterMs", options.maxRetryAfterMs, 60_000, 0, day),
    timeoutMs: integer("timeoutMs", options.timeoutMs, 10_000, 1, day),
    testEventCode: options.testEventCode,
    onError: options.onError ?? defaultOnError,
    fetch: fetchImpl,
  };
}
