/**
 * Rollup writes: every delta of a group commit is summed in memory first, so each
 * (workspace, minute) and (workspace, hour) row is upserted once per transaction, in key
 * order — nodes updating the same hot rows then always lock them in the same order and never
 * deadlock on them, and the rows are held only from the end of the group to its COMMIT.
 */
import type pg from "pg";
import {
  hourlyOf,
  ROLLUP_COUNTERS as COUNTERS,
  seriesRowsOf,
  type RollupDelta,
} from "../../monitoring/rollups.js";

/**
 * Upserts a group's minute deltas (summed by `RollupAccumulator`) into rollups_minute and
 * rollups_hour: two statements whatever the number of rows.
 */
export async function writeRollups(client: pg.ClientBase, minutes: RollupDelta[]): Promise<void> {
  if (minutes.length === 0) return;
  await upsert(client, "rollups_minute", minutes);
  await upsert(client, "rollups_hour", hourlyOf(minutes));
  const { slots, hours } = seriesRowsOf(minutes);
  for (const [table, rows] of [
    ["series_10s", slots],
    ["series_hour", hours],
  ] as const) {
    if (rows.length === 0) continue;
    // Rows come in key order (seriesRowsOf), like the rollups: no deadlock between nodes.
    await client.query(
      `INSERT INTO ${table} AS r (workspace_id, start, key, count)
       SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[])
       ON CONFLICT (workspace_id, start, key) DO UPDATE SET count = r.count + excluded.count`,
      [
        rows.map((r) => r.workspaceId),
        rows.map((r) => r.start),
        rows.map((r) => r.key),
        rows.map((r) => r.count),
      ],
    );
  }
}

const pgIntArray = (h: number[] | undefined): string | null => (h ? `{${h.join(",")}}` : null);

async function upsert(
  client: pg.ClientBase,
  table: "rollups_minute" | "rollups_hour",
  rows: RollupDelta[],
): Promise<void> {
  const after = COUNTERS.length + 3;
  const cols = COUNTERS.map((c, i) => `$${i + 3}::${c === "value" || c === "flagged_value" ? "float8" : "int8"}[]`).join(", ");
  await client.query(
    `INSERT INTO ${table} AS r (workspace_id, start, ${COUNTERS.join(", ")}, latency, pipeline)
     SELECT ws, st, ${COUNTERS.join(", ")}, lat::integer[], pip::integer[]
     FROM unnest($1::text[], $2::int8[], ${cols}, $${after}::text[], $${after + 1}::text[])
       AS t(ws, st, ${COUNTERS.join(", ")}, lat, pip)
     ORDER BY ws, st
     ON CONFLICT (workspace_id, start) DO UPDATE SET
       ${COUNTERS.map((c) => `${c} = r.${c} + excluded.${c}`).join(", ")},
       latency = tally_hist_add(r.latency, excluded.latency),
       pipeline = tally_hist_add(r.pipeline, excluded.pipeline)`,
    [
      rows.map((r) => r.workspaceId),
      rows.map((r) => r.minute),
      ...COUNTERS.map((c) => rows.map((r) => r[c] ?? 0)),
      rows.map((r) => pgIntArray(r.latency)),
      rows.map((r) => pgIntArray(r.pipeline)),
    ],
  );
}
