/**
 * Multi-row inserts of the rows a group commit buffers: one statement per table whatever the
 * number of rows, with one array parameter per column (`unnest`), so a batch of a thousand
 * events is a handful of round trips and never meets the 65 535-parameter limit.
 */
import type pg from "pg";
import type { EventSource, NormalizedEvent } from "../../domain/event.js";
import { payloadOf } from "../event-payload.js";

/** event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency */
export type CreditInsert = [
  string,
  string,
  string,
  number,
  number,
  string,
  string | null,
  string | null,
  number,
  number,
  number | null,
  string | null,
];
/** id, workspace_id, destination_id, event_ref, now */
export type DeliveryInsert = [string, string, string, string, number];

/** An event to insert and how it arrived. */
export interface EventInsert {
  event: NormalizedEvent;
  source: EventSource;
}

export async function insertEvents(
  client: pg.ClientBase,
  rows: EventInsert[],
  attributed: ReadonlySet<string>,
): Promise<void> {
  if (rows.length === 0) return;
  const evs = rows.map((r) => r.event);
  const col = <T>(f: (e: NormalizedEvent) => T): T[] => evs.map(f);
  await client.query(
    `INSERT INTO events (id, workspace_id, event_name, is_conversion, test_event_code, event_time, received_at,
       event_id, order_id, value, currency, attributed, payload, ip_enc, source)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::int8[], $7::int8[],
       $8::text[], $9::text[], $10::float8[], $11::text[], $12::bool[], $13::text[], $14::text[], $15::text[])`,
    [
      col((e) => e.id),
      col((e) => e.workspaceId),
      col((e) => e.eventName),
      col((e) => e.isConversion),
      col((e) => e.testEventCode),
      col((e) => e.eventTime),
      col((e) => e.receivedAt),
      col((e) => e.eventId),
      col((e) => e.orderId),
      col((e) => e.value),
      col((e) => e.currency),
      col((e) => attributed.has(e.id)),
      col((e) => payloadOf(e)),
      col((e) => e.user.client_ip_enc ?? null),
      rows.map((r) => r.source),
    ],
  );
}

export async function insertCredits(client: pg.ClientBase, rows: CreditInsert[]): Promise<void> {
  if (rows.length === 0) return;
  const col = (i: number) => rows.map((r) => r[i]);
  await client.query(
    `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int4[], $6::text[], $7::text[], $8::text[],
       $9::int8[], $10::float8[], $11::float8[], $12::text[])`,
    [col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7), col(8), col(9), col(10), col(11)],
  );
}

export async function insertDeliveries(client: pg.ClientBase, rows: DeliveryInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at, created_at)
     SELECT id, ws, dst, ref, 'pending', 0, at, at FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) AS t(id, ws, dst, ref, at)`,
    [
      rows.map((r) => r[0]),
      rows.map((r) => r[1]),
      rows.map((r) => r[2]),
      rows.map((r) => r[3]),
      rows.map((r) => r[4]),
    ],
  );
}

/** workspace_id, event_ref, source, received_at, event_id, status */
export type ArrivalInsert = [string, string, string, number, string | null, string];

export async function insertArrivals(client: pg.ClientBase, rows: ArrivalInsert[]): Promise<void> {
  if (rows.length === 0) return;
  const col = (i: number) => rows.map((r) => r[i]);
  await client.query(
    `INSERT INTO event_arrivals (workspace_id, event_ref, source, received_at, event_id, status)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::text[])`,
    [col(0), col(1), col(2), col(3), col(4), col(5)],
  );
}
