/**
 * The shapes every platform adapter shares. An adapter is three pure functions — prepare one
 * event, build one request for a group of prepared events, classify the answer — so payloads
 * and classification are unit-tested without a network; the outbox worker does the I/O.
 */
import type { StoredEvent } from "../storage/storage.js";
import type { DestinationConfig, DestinationType } from "./config-schema.js";

/** What a platform needs to know about one event beyond the event itself. */
export interface PrepareContext {
  now: number;
  /** Consent (or the workspace default) allows sending hashed identifiers, IP, UA and click cookies. */
  userData: boolean;
  /** The client IP, decrypted; null when unknown, purged, or not allowed. */
  clientIp: string | null;
  /** The test event code to send (test events only), null for real events. */
  testEventCode: string | null;
  /** The platform dedup id: the event's `event_id`, else `order_id`, else Tally's id. */
  dedupId: string;
}

/**
 * One event made ready for a platform, or skipped for good with the reason (too old, no
 * consent, nothing to match on…). `group` separates events that cannot share a request:
 * test and real events, different test event codes.
 */
export type Prepared<T> = { ok: true; item: T; group: string } | { ok: false; error: string };

/** What an adjustment's row needs beyond its payload. */
export interface PayloadContext {
  /** The adjusted conversion (null when it is gone). */
  event: StoredEvent | null;
  /** Consent (or the workspace default) allows sending its click ids and identifiers. */
  userData: boolean;
  /** The conversion's platform dedup id, as it was sent (Google's `orderId`). */
  dedupId: string | null;
}

export interface HttpRequest {
  /** Default POST; a GET sends no body (spend reports). */
  method?: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What came back from one request, or why nothing did. */
export type HttpAnswer =
  | { kind: "response"; status: number; headers: Record<string, string>; text: string }
  | { kind: "timeout"; ms: number }
  | { kind: "network"; message: string }
  /** The endpoint policy refused the URL or the address its host resolved to: nothing was sent. */
  | { kind: "refused"; message: string };

/** The outcome of one event of a request. */
export type RowOutcome =
  | { status: "delivered"; code: number; note?: string }
  | { status: "retry"; code: number | null; error: string; retryAfterMs?: number }
  | { status: "failed"; code: number | null; error: string };

/**
 * The outcome of one request. `failed` with `isolate` means the platform refused the whole
 * request for something one event may have caused (Meta's whole-batch validation): the worker
 * splits the group and sends the halves again, so one poison event does not fail its batch.
 */
export type BatchOutcome =
  | { kind: "rows"; rows: RowOutcome[] }
  | { kind: "retry"; code: number | null; error: string; retryAfterMs?: number }
  | { kind: "failed"; code: number | null; error: string; isolate: boolean };

/** The per-destination facts a request builder needs besides the events. */
export interface BuildContext {
  /** Google's OAuth access token when the config holds a refresh token (fetched by the worker). */
  accessToken?: string;
  /** Unix seconds of the request (webhook signatures). */
  nowSeconds: number;
}

/** Sends one request; never throws for a network failure or a timeout (they are answers). */
export type Send = (req: HttpRequest, timeoutMs: number, signal?: AbortSignal) => Promise<HttpAnswer>;

/** Credentials for the next request, or the outcome to give its events when there are none. */
export type Authorization = { ok: true; accessToken?: string } | { ok: false; outcome: BatchOutcome };

export interface PlatformAdapter<C extends DestinationConfig = DestinationConfig, T = unknown> {
  type: DestinationType;
  /** Most events in one request (the platform's limit). */
  batchLimit: number;
  /**
   * Claims of one destination in flight at once: for a platform that takes batches, requests
   * (a claim is one request's worth); for one event per request, claims of 8 sent 4 at a time.
   */
  parallel: number;
  /** Whether test events may go to it (the platform has a test mode). */
  testMode: boolean;
  /** Whether it sends the client IP (only then is the sealed IP opened). */
  usesClientIp: boolean;
  prepare(event: StoredEvent, config: C, ctx: PrepareContext): Prepared<T>;
  /** One request for prepared events that share `group`. */
  build(items: T[], config: C, group: string, ctx: BuildContext): HttpRequest;
  classify(answer: HttpAnswer & { kind: "response" }, count: number): BatchOutcome;
  /**
   * An outbox row that is not an event (`kind` "signal": a rule's signal, `payload` its JSON;
   * "adjustment": a conversion's retraction or restatement, with `ctx` the conversion as stored
   * now and whether its consent lets user data go), for the adapters that take one; the others
   * fail such rows.
   */
  preparePayload?(kind: string, payload: unknown, config: C, ctx?: PayloadContext): Prepared<T>;
  /** Fetches a short-lived access token when the config holds a refresh token (Google). */
  authorize?(config: C, send: Send, now: number): Promise<Authorization>;
}
