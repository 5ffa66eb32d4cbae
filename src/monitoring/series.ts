/**
 * Series: the counters the detectors read, kept per workspace in 10-second slots
 * (`series_10s`) and per hour (`series_hour`) beside the minute rollups. A series is a key:
 *
 * - `t:received`, `t:accepted`, `t:rejected`, `t:duplicates`: every event, by arrival;
 * - `n:<event name>`: accepted events of that name; `s:<source>`: accepted events by source;
 * - `f:<event name>:<field>`: accepted events of that name carrying the field (schema drift);
 * - `v:<event name>:<bucket>`: their values on a log scale, ten buckets a decade (value anomaly);
 * - `t:identity_conflicts`: accepted events an identifier of which the merge limits kept apart
 *   from its person (domain/identity-limits.ts: a second external id, or past 500 identifiers).
 *
 * The keys are made here once; the commit writes them, the detectors read them.
 */
import { CLICK_ID_KINDS, type EventSource, type NormalizedEvent } from "../domain/event.js";

/** Length of one slot of `series_10s`, ms: the finest window a rule can have. */
export const SLOT_MS = 10_000;

export function slotOf(ms: number): number {
  return ms - (ms % SLOT_MS);
}

export const SOURCES: readonly EventSource[] = ["server", "browser", "pixel"];

export const totalKey = (counter: "received" | "accepted" | "rejected" | "duplicates"): string =>
  `t:${counter}`;
/** Accepted events some identifier of which the merge limits kept apart (identity_conflicts). */
export const IDENTITY_CONFLICTS_KEY = "t:identity_conflicts";
export const nameKey = (eventName: string): string => `n:${eventName}`;
export const sourceKey = (source: string): string => `s:${source}`;
export const fieldKey = (eventName: string, field: string): string => `f:${eventName}:${field}`;
export const valueKey = (eventName: string, bucket: number): string => `v:${eventName}:${bucket}`;

/** Buckets per decade of the value histogram: a bucket spans a factor of 10^(1/10) ≈ 1.26. */
export const VALUE_BUCKETS_PER_DECADE = 10;

/** The log bucket of a positive value (1 → 0, 10 → 10, 0.01 → -20); null for 0 or less. */
export function valueBucket(value: number): number | null {
  if (!(value > 0) || !Number.isFinite(value)) return null;
  return Math.floor(Math.log10(value) * VALUE_BUCKETS_PER_DECADE + 1e-9);
}

/** The lower bound of a bucket's values. */
export function bucketLow(bucket: number): number {
  return 10 ** (bucket / VALUE_BUCKETS_PER_DECADE);
}

/** custom_data keys counted as fields: plain names only, at most this many an event. */
const FIELD_NAME = /^[A-Za-z0-9_.-]{1,40}$/;
const MAX_CUSTOM_FIELDS = 20;

/** The fields an accepted event carries, by the names the API uses. */
export function fieldsOf(ev: NormalizedEvent): string[] {
  const out: string[] = [];
  if (ev.value !== null) out.push("value");
  if (ev.currency !== null) out.push("currency");
  if (ev.eventId !== null) out.push("event_id");
  if (ev.orderId !== null) out.push("order_id");
  if (ev.eventSourceUrl !== null) out.push("event_source_url");
  if (ev.consent !== null) out.push("consent");
  const u = ev.user;
  if (u.em) out.push("user_data.email");
  if (u.ph) out.push("user_data.phone");
  if (u.external_id) out.push("user_data.external_id");
  if (u.anonymous_id) out.push("user_data.anonymous_id");
  if (u.client_ip_truncated) out.push("user_data.client_ip_address");
  if (u.client_user_agent) out.push("user_data.client_user_agent");
  if (u.fbc) out.push("user_data.fbc");
  if (u.fbp) out.push("user_data.fbp");
  for (const k of CLICK_ID_KINDS) if (u[k]) out.push(`user_data.${k}`);
  let n = 0;
  for (const k of Object.keys(ev.customData)) {
    if (n >= MAX_CUSTOM_FIELDS) break;
    if (!FIELD_NAME.test(k) || k === "value" || k === "currency" || k === "order_id") continue;
    out.push(`custom_data.${k}`);
    n++;
  }
  return out;
}

/**
 * {@link fieldKey}, made once per (event name, field) and kept (bounded: 1,000 names of 200
 * fields each at most, then it starts over), so counting passes the same string each time.
 */
const FIELD_KEYS = new Map<string, Map<string, string>>();
function cachedFieldKey(eventName: string, field: string): string {
  let byField = FIELD_KEYS.get(eventName);
  if (byField === undefined || byField.size >= 200) {
    if (byField === undefined && FIELD_KEYS.size >= 1000) FIELD_KEYS.clear();
    byField = new Map();
    FIELD_KEYS.set(eventName, byField);
  }
  let key = byField.get(field);
  if (key === undefined) {
    key = fieldKey(eventName, field);
    byField.set(field, key);
  }
  return key;
}

/** The series an accepted (not test) event counts in, besides the totals. */
export function eventSeries(ev: NormalizedEvent, source: EventSource): string[] {
  const keys = [nameKey(ev.eventName), sourceKey(source)];
  for (const f of fieldsOf(ev)) keys.push(cachedFieldKey(ev.eventName, f));
  const b = ev.value === null ? null : valueBucket(ev.value);
  if (b !== null) keys.push(valueKey(ev.eventName, b));
  return keys;
}
