/**
 * Multi-row inserts of the rows a group commit buffers: one statement per table whatever the
 * number of rows, with one array parameter per column (`unnest`), so a batch of a thousand
 * events is a handful of round trips and never meets the 65 535-parameter limit.
 */
import type pg from "pg";
import type { EventSource, NormalizedEvent } from "../../domain/event.js";
import type { CreditInsert } from "../conversion-rows.js";
import { EVENT_COLUMNS, eventValues } from "../event-row.js";

export type { CreditInsert };

/** id, workspace_id, destination_id, event_ref, now */
export type DeliveryInsert = [string, string, string, string, number];

/** An event to insert and how it arrived. */
export interface EventInsert {
  event: NormalizedEvent;
  source: EventSource;
  /** The conversion's person (moved by a merge while buffered). */
  person: string | null;
}

export async function insertEvents(
  client: pg.ClientBase,
  rows: EventInsert[],
  attributed: ReadonlySet<string>,
): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map((r) => eventValues(r.event, attributed.has(r.event.id), r.source, r.person));
  await client.query(
    `INSERT INTO events (${EVENT_COLUMNS.map((c) => c[0]).join(", ")})
     SELECT * FROM unnest(${EVENT_COLUMNS.map((c, i) => `$${i + 1}::${c[1]}[]`).join(", ")})`,
    EVENT_COLUMNS.map((_c, i) => values.map((v) => v[i])),
  );
}

export async function insertCredits(client: pg.ClientBase, rows: CreditInsert[]): Promise<void> {
  if (rows.length === 0) return;
  const col = (i: number) => rows.map((r) => r[i]);
  await client.query(
    `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency, flagged)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int4[], $6::text[], $7::text[], $8::text[],
       $9::int8[], $10::float8[], $11::float8[], $12::text[], $13::bool[])`,
    [col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7), col(8), col(9), col(10), col(11), col(12)],
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
