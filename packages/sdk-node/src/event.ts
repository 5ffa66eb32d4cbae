import { randomUUID } from "node:crypto";

/** Consent for one purpose, as the browser tag and the server API carry it. */
export type ConsentState = "granted" | "denied";

/**
 * Who did it. Email and phone may be sent plain (the server normalizes and hashes them on
 * arrival and never stores them plain) or already hashed with `hashEmail`/`hashPhone`.
 */
export interface TallyUserData {
  email?: string;
  phone?: string;
  em?: string;
  ph?: string;
  external_id?: string;
  anonymous_id?: string;
  client_ip_address?: string;
  client_user_agent?: string;
  click_id?: string;
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  fbclid?: string;
  fbc?: string;
  fbp?: string;
  msclkid?: string;
  ttclid?: string;
  li_fat_id?: string;
}

/** What happened: value, currency, order id and any fields of your own. */
export interface TallyCustomData {
  value?: number;
  currency?: string;
  order_id?: string;
  [field: string]: unknown;
}

/**
 * One event, as `POST /v1/events` takes it. Only `event_name` is required: the SDK stamps
 * `event_id` (a random UUID) and `event_time` (now) when they are missing.
 *
 * @example
 * const purchase: TallyEvent = {
 *   event_name: "Purchase",
 *   event_id: "order-1001",
 *   user_data: { email: "jane@example.com", external_id: "crm-77" },
 *   custom_data: { value: 99.99, currency: "USD", order_id: "1001" },
 * };
 */
export interface TallyEvent {
  event_name: string;
  /** Unix seconds, an ISO-8601 string with a zone, or a Date. Defaults to the time of `track()`. */
  event_time?: number | string | Date;
  /** The dedup key. Reusing it for the same `event_name` makes the server drop the repeat. */
  event_id?: string;
  action_source?:
    "website" | "app" | "email" | "phone_call" | "chat" | "physical_store" | "system_generated" | "other";
  event_source_url?: string;
  user_data?: TallyUserData;
  custom_data?: TallyCustomData;
  consent?: { ad_user_data?: ConsentState; ad_personalization?: ConsentState; analytics?: ConsentState };
}

/** An event the SDK has accepted: its final id and its JSON, fixed at `track()` time. */
export interface QueuedEvent {
  readonly eventId: string;
  readonly event: Readonly<TallyEvent>;
  readonly json: string;
  readonly bytes: number;
}

function unixSeconds(time: TallyEvent["event_time"], now: number): number | string {
  if (time === undefined) return Math.floor(now / 1000);
  if (time instanceof Date) {
    const ms = time.getTime();
    if (Number.isNaN(ms)) throw new TypeError("Tally: event_time is an invalid Date.");
    return Math.floor(ms / 1000);
  }
  return time;
}

/**
 * Fix an event for sending: its `event_id` is decided here, once, so that every retry of
 * its batch carries the same id and the server's dedup makes retries harmless; its JSON is
 * taken now, so later changes to the caller's object do not leak into the batch.
 * Throws a TypeError for events that can never be sent (a bug in the caller).
 */
export function prepareEvent(event: TallyEvent, now: number, newId: () => string = randomUUID): QueuedEvent {
  if (typeof event !== "object" || event === null) throw new TypeError("Tally: an event must be an object.");
  if (typeof event.event_name !== "string" || event.event_name === "") {
    throw new TypeError("Tally: event_name must be a non-empty string.");
  }
  const eventId = typeof event.event_id === "string" && event.event_id !== "" ? event.event_id : newId();
  const fixed: TallyEvent = { ...event, event_id: eventId, event_time: unixSeconds(event.event_time, now) };
  let json: string;
  try {
    json = JSON.stringify(fixed);
  } catch (cause) {
    throw new TypeError(`Tally: the event cannot be serialized to JSON (${String(cause)}).`, { cause });
  }
  return { eventId, event: fixed, json, bytes: Buffer.byteLength(json, "utf8") };
}
