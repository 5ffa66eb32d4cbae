/**
 * Rollup writes: every delta of a group commit is merged in memory first, so each
 * (workspace, minute) and (workspace, hour) row is upserted once per transaction, in key
 * order — nodes updating the same hot rows then always lock them in the same order and never
 * deadlock on them, and the rows are held only from the end of the group to its COMMIT.
 */
import type pg from "pg";
import { HOUR_MS } from "../../domain/time.js";
import { mergeHistograms } from "../../monitoring/histogram.js";
import type { RollupDelta } from "../storage.js";

const COUNTERS = [
  "received",
  "accepted",
  "conversions",
  "value",
  "duplicates",
  "rejected",
  "clicks",
  "impressions",
] as const;
type Counter = (typeof COUNTERS)[number];

interface RollupRow {
  workspaceId: string;
  start: number;
  counts: Record<Counter, number>;
  latency: number[] | null;
  pipeline: number[] | null;
}

/** Sums deltas per row; keeps insertion cheap for the many small deltas of one group. */
export class RollupMerger {
  private readonly rows = new Map<string, RollupRow>();

  add(deltas: Iterable<RollupDelta>): void {
    for (const d of deltas) {
      const key = `${d.workspaceId}\u0000${d.minute}`;
      let r = this.rows.get(key);
      if (!r) {
        r = { workspaceId: d.workspaceId, start: d.minute, counts: zero(), latency: null, pipeline: null };
        this.rows.set(key, r);
      }
      for (const c of COUNTERS) r.counts[c] += d[c] ?? 0;
      if (d.latency) r.latency = mergeHistograms(r.latency ?? [], d.latency);
      if (d.pipeline) r.pipeline = mergeHistograms(r.pipeline ?? [], d.pipeline);
    }
  }

  merge(other: RollupMerger): void {
    for (const r of other.rows.values()) {
      this.add([
        {
          workspaceId: r.workspaceId,
          minute: r.start,
          ...r.counts,
          ...(r.latency ? { latency: r.latency } : {}),
          ...(r.pipeline ? { pipeline: r.pipeline } : {}),
        },
      ]);
    }
  }

  get size(): number {
    return this.rows.size;
  }

  /** Upserts into rollups_minute and rollups_hour: two statements whatever the number of rows. */
  async write(client: pg.ClientBase): Promise<void> {
    if (this.rows.size === 0) return;
    const minutes = [...this.rows.values()];
    const hours = new RollupMerger();
    hours.add(
      minutes.map((r) => ({
        workspaceId: r.workspaceId,
        minute: r.start - (r.start % HOUR_MS),
        ...r.counts,
        ...(r.latency ? { latency: r.latency } : {}),
        ...(r.pipeline ? { pipeline: r.pipeline } : {}),
      })),
    );
    await upsert(client, "rollups_minute", minutes);
    await upsert(client, "rollups_hour", [...hours.rows.values()]);
  }
}

function zero(): Record<Counter, number> {
  return {
    received: 0,
    accepted: 0,
    conversions: 0,
    value: 0,
    duplicates: 0,
    rejected: 0,
    clicks: 0,
    impressions: 0,
  };
}

const pgIntArray = (h: number[] | null): string | null => (h ? `{${h.join(",")}}` : null);

async function upsert(
  client: pg.ClientBase,
  table: "rollups_minute" | "rollups_hour",
  rows: RollupRow[],
): Promise<void> {
  const cols = COUNTERS.map((c, i) => `$${i + 3}::${c === "value" ? "float8" : "int8"}[]`).join(", ");
  await client.query(
    `INSERT INTO ${table} AS r (workspace_id, start, ${COUNTERS.join(", ")}, latency, pipeline)
     SELECT ws, st, ${COUNTERS.join(", ")}, lat::integer[], pip::integer[]
     FROM unnest($1::text[], $2::int8[], ${cols}, $11::text[], $12::text[])
       AS t(ws, st, ${COUNTERS.join(", ")}, lat, pip)
     ORDER BY ws, st
     ON CONFLICT (workspace_id, start) DO UPDATE SET
       ${COUNTERS.map((c) => `${c} = r.${c} + excluded.${c}`).join(", ")},
       latency = tally_hist_add(r.latency, excluded.latency),
       pipeline = tally_hist_add(r.pipeline, excluded.pipeline)`,
    [
      rows.map((r) => r.workspaceId),
      rows.map((r) => r.start),
      ...COUNTERS.map((c) => rows.map((r) => r.counts[c])),
      rows.map((r) => pgIntArray(r.latency)),
      rows.map((r) => pgIntArray(r.pipeline)),
    ],
  );
}
