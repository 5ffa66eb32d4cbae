/**
 * The `events` row, written down once for both backends: its columns in insert order (with
 * their PostgreSQL array types), the values of an event for them, the JSON payload kept beside
 * the columns, and the mappers from the rows each read gets back (forwarding, superseding,
 * reattribution). SQLite binds booleans as 0/1, PostgreSQL as booleans; both read numbers.
 */
import type { StoredConversion, StoredCopy } from "../commit/tx.js";
import type { Consent, EventSource, HashedUserData, Identifier, NormalizedEvent } from "../domain/event.js";
import { flagMask, shortAddressKey } from "../quality/input.js";
import type { StoredEvent } from "./storage.js";

/** Columns of `events` in insert order, each with its PostgreSQL type. */
export const EVENT_COLUMNS = [
  ["id", "text"],
  ["workspace_id", "text"],
  ["event_name", "text"],
  ["is_conversion", "bool"],
  ["test_event_code", "text"],
  ["event_time", "int8"],
  ["received_at", "int8"],
  ["event_id", "text"],
  ["order_id", "text"],
  ["value", "float8"],
  ["currency", "text"],
  ["attributed", "bool"],
  ["payload", "text"],
  ["ip_enc", "text"],
  ["source", "text"],
  // The person of a (non-test) conversion, moved when persons merge: experiments join on it.
  ["person", "text"],
  // The traffic-quality decision (quality/): score, flags as a bit mask (0 = clean).
  ["quality_score", "int2"],
  ["quality_flags", "int2"],
  // A flagged one's address key, truncated (the Quality view's top addresses; never an address).
  ["quality_key", "text"],
] as const;

export type EventValue = string | number | boolean | null;

/** The event's values for `EVENT_COLUMNS`, in the same order. */
export function eventValues(
  ev: NormalizedEvent,
  attributed: boolean,
  source: EventSource,
  person: string | null,
): EventValue[] {
  return [
    ev.id,
    ev.workspaceId,
    ev.eventName,
    ev.isConversion,
    ev.testEventCode,
    ev.eventTime,
    ev.receivedAt,
    ev.eventId,
    ev.orderId,
    ev.value,
    ev.currency,
    attributed,
    payloadOf(ev),
    ev.user.client_ip_enc ?? null,
    source,
    ev.isConversion && ev.testEventCode === null ? person : null,
    ev.quality ? ev.quality.score : null,
    ev.quality ? flagMask(ev.quality.flags) : 0,
    ev.quality && ev.quality.flags.length > 0
      ? shortAddressKey(ev.qualityInput?.addressKey ?? ev.touch?.quality?.addressKey ?? null)
      : null,
  ];
}

/**
 * The JSON an event row keeps beside its columns: user data (the sealed client IP has its own
 * column, purged on its own), custom data, consent, action source, page URL and the
 * identifiers it was linked by; `e: 1` once its person was erased.
 */
export interface EventPayload {
  u: HashedUserData;
  c: Record<string, unknown>;
  k: Consent | null;
  a: string | null;
  s: string | null;
  i?: Identifier[];
  e?: 1;
  /** Match quality at acceptance: score, identifier kinds and problems, never values. */
  mq?: NormalizedEvent["matchQuality"];
}

export function payloadOf(ev: NormalizedEvent, identifiers: Identifier[] = ev.identifiers): string {
  const { client_ip_enc: _ip, ...user } = ev.user;
  const p: EventPayload = {
    u: user,
    c: ev.customData,
    k: ev.consent,
    a: ev.actionSource,
    s: ev.eventSourceUrl,
    i: identifiers,
    ...(ev.matchQuality ? { mq: ev.matchQuality } : {}),
  };
  return JSON.stringify(p);
}

/** Columns a stored event is read back from (what forwarding sends). */
export const EVENT_READ_COLUMNS =
  "id, workspace_id, event_name, event_time, received_at, event_id, order_id, value, currency, test_event_code, payload, ip_enc";

export interface EventRow {
  id: string;
  workspace_id: string;
  event_name: string;
  event_time: number;
  received_at: number;
  event_id: string | null;
  order_id: string | null;
  value: number | null;
  currency: string | null;
  test_event_code: string | null;
  payload: string;
  ip_enc: string | null;
}

export function eventFromRow(r: EventRow): StoredEvent {
  const p = JSON.parse(r.payload) as EventPayload;
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    eventName: r.event_name,
    eventTime: Number(r.event_time),
    receivedAt: Number(r.received_at),
    eventId: r.event_id,
    orderId: r.order_id,
    actionSource: p.a,
    eventSourceUrl: p.s,
    value: r.value,
    currency: r.currency,
    user: r.ip_enc ? { ...p.u, client_ip_enc: r.ip_enc } : p.u,
    customData: p.c,
    consent: p.k,
    testEventCode: r.test_event_code,
  };
}

/** Columns superseding reads of a stored event. */
export const STORED_COPY_COLUMNS =
  "source, superseded_at, event_time, received_at, event_id, value, currency, payload";

export interface StoredCopyRow {
  source: EventSource | null;
  superseded_at: number | null;
  event_time: number;
  received_at: number;
  event_id: string | null;
  value: number | null;
  currency: string | null;
  payload: string;
}

export function storedCopyFromRow(r: StoredCopyRow): StoredCopy {
  return {
    source: r.source,
    supersededAt: r.superseded_at === null ? null : Number(r.superseded_at),
    eventTime: Number(r.event_time),
    receivedAt: Number(r.received_at),
    eventId: r.event_id,
    value: r.value,
    currency: r.currency,
    identifiers: (JSON.parse(r.payload) as EventPayload).i ?? [],
  };
}

/** Columns reattribution reads of a conversion. */
export const CONVERSION_COLUMNS =
  "id, workspace_id, event_name, event_time, value, currency, payload, quality_flags";

export interface ConversionRow {
  id: string;
  workspace_id: string;
  event_name: string;
  event_time: number;
  value: number | null;
  currency: string | null;
  payload: string;
  quality_flags: number;
}

export function storedConversionFromRow(r: ConversionRow): StoredConversion {
  const p = JSON.parse(r.payload) as EventPayload;
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    eventName: r.event_name,
    eventTime: Number(r.event_time),
    value: r.value,
    currency: r.currency,
    identifiers: p.i ?? [],
    erased: p.e === 1,
    flagged: Number(r.quality_flags) !== 0,
  };
}
