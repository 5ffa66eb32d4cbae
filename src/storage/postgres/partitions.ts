/**
 * Upkeep of the monthly partitions of `events` (schema.ts version 18): the month now and the
 * next two are made ahead, a month the default partition caught gets its own partition (its
 * rows moved), and with a retention of N months every partition wholly received before the
 * first day of the month N months back is dropped (docs/scaling.md says what goes and what
 * stays). Runs at start and hourly with the purge, from any node (the functions queue on an
 * advisory lock).
 */
import type pg from "pg";
import { idTime } from "../../domain/ids.js";

/** Months made ahead of the current one. */
export const MONTHS_AHEAD = 2;

export interface PartitionUpkeep {
  /** Partitions made. */
  created: string[];
  /** Partitions dropped by retention. */
  dropped: string[];
}

/**
 * An event read by id in the partition its id names first: an event's id carries its
 * `received_at` (normalize.ts), so `read(at)`, the query with `AND received_at = at`, probes one
 * monthly partition's key instead of every one. If the row is not there (an id that would not
 * carry its time; none that Tally writes), `read(null)` asks again without it.
 */
export async function readByEventId<T>(
  id: string,
  read: (at: number | null) => Promise<T | undefined>,
): Promise<T | undefined> {
  const at = idTime(id);
  return (at === null ? undefined : await read(at)) ?? (await read(null));
}

/**
 * Many events read by id the same way: for each month the ids' times fall in, `read(ids, span)`
 * is the query with `id = ANY(ids) AND received_at BETWEEN span[0] AND span[1]` (the earliest
 * and latest time those ids carry), which PostgreSQL prunes to that month's partition before it
 * probes its key; a join by id alone probes every partition's key for every row. One query per
 * month, not one span over all: one old id (an adjustment of a months-old conversion) would
 * stretch a single span over every month between. The ids not found so (or whose id carries no
 * time) are asked again with `read(ids, null)`, by id alone. Returned by id.
 */
export async function readByEventIds<T extends { id: string }>(
  ids: string[],
  read: (ids: string[], span: [number, number] | null) => Promise<T[]>,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const months = new Map<number, { span: [number, number]; ids: string[] }>();
  for (const id of ids) {
    const at = idTime(id);
    if (at === null) continue;
    const month = monthStart(at);
    const m = months.get(month);
    if (m === undefined) months.set(month, { span: [at, at], ids: [id] });
    else {
      m.span = [Math.min(m.span[0], at), Math.max(m.span[1], at)];
      m.ids.push(id);
    }
  }
  for (const m of months.values()) for (const row of await read(m.ids, m.span)) found.set(row.id, row);
  const rest = ids.filter((id) => !found.has(id));
  if (rest.length > 0) for (const row of await read(rest, null)) found.set(row.id, row);
  return found;
}

/** Start of the UTC month `monthsBefore` months before the one holding `ms` (unix ms). */
function monthStart(ms: number, monthsBefore = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBefore, 1);
}

/** Start of the UTC month `months` before the month holding `now` (unix ms). */
export function retentionCutoff(now: number, months: number): number {
  return monthStart(now, months);
}

/**
 * Makes the partitions ahead, gives months caught by the default partition their own, and,
 * when `retentionMonths` > 0, drops whole months received before `retentionCutoff`.
 */
export async function maintainEventPartitions(
  pool: pg.Pool | pg.ClientBase,
  now: number,
  retentionMonths: number,
): Promise<PartitionUpkeep> {
  const created: string[] = [];
  const ahead = await pool.query<{ name: string }>("SELECT tally_event_partitions_ahead($1, $2) AS name", [
    now,
    MONTHS_AHEAD,
  ]);
  created.push(...ahead.rows.map((r) => r.name));
  // Months the default partition caught (a clock far off, or a month not yet made).
  const caught = await pool.query<{ month: string }>(
    `SELECT DISTINCT (extract(epoch FROM date_trunc('month', to_timestamp(received_at / 1000.0) AT TIME ZONE 'UTC')
       AT TIME ZONE 'UTC') * 1000)::bigint AS month FROM events_default
     WHERE $1::bigint = 0 OR received_at >= $1 ORDER BY 1 LIMIT 24`,
    [retentionMonths > 0 ? retentionCutoff(now, retentionMonths) : 0],
  );
  for (const { month } of caught.rows) {
    const r = await pool.query<{ name: string | null }>("SELECT tally_event_partition($1) AS name", [month]);
    if (r.rows[0]?.name) created.push(r.rows[0].name);
  }
  let dropped: string[] = [];
  if (retentionMonths > 0) {
    const r = await pool.query<{ name: string }>("SELECT tally_drop_event_partitions($1) AS name", [
      retentionCutoff(now, retentionMonths),
    ]);
    dropped = r.rows.map((x) => x.name);
  }
  return { created, dropped };
}
