/**
 * Rollup writes of the SQLite store: a group's deltas are summed first (monitoring/rollups.ts),
 * so each (workspace, minute) and (workspace, hour) row is upserted once per transaction.
 * Histograms are JSON arrays, merged bucket by bucket.
 */
import type Database from "better-sqlite3";
import { mergeHistograms } from "../../monitoring/histogram.js";
import {
  hourlyOf,
  ROLLUP_COUNTERS,
  ROLLUP_HISTOGRAMS,
  seriesRowsOf,
  type RollupDelta,
} from "../../monitoring/rollups.js";

type Table = "rollups_minute" | "rollups_hour";

export class SqliteRollupWriter {
  private readonly upserts = new Map<Table, Database.Statement>();
  /** Prepared once, not once per group. */
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Minute deltas (as `RollupAccumulator.drain` gives them) into both tables. */
  write(minutes: RollupDelta[]): void {
    if (minutes.length === 0) return;
    for (const d of minutes) this.upsert("rollups_minute", d);
    for (const d of hourlyOf(minutes)) this.upsert("rollups_hour", d);
    const { slots, hours } = seriesRowsOf(minutes);
    for (const [table, rows] of [
      ["series_10s", slots],
      ["series_hour", hours],
    ] as const) {
      if (rows.length === 0) continue;
      const st = this.stmt(
        `INSERT INTO ${table} (workspace_id, start, key, count) VALUES (?, ?, ?, ?)
         ON CONFLICT (workspace_id, start, key) DO UPDATE SET count = count + excluded.count`,
      );
      for (const r of rows) st.run(r.workspaceId, r.start, r.key, r.count);
    }
  }

  private stmt(sql: string): Database.Statement {
    let st = this.stmts.get(sql);
    if (!st) this.stmts.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  private upsert(table: Table, d: RollupDelta): void {
    let st = this.upserts.get(table);
    if (!st) {
      const cols = ROLLUP_COUNTERS;
      st = this.db.prepare(
        `INSERT INTO ${table} (workspace_id, start, ${cols.join(", ")}) VALUES (?, ?, ${cols.map(() => "?").join(", ")})
         ON CONFLICT (workspace_id, start) DO UPDATE SET ${cols.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
      );
      this.upserts.set(table, st);
    }
    st.run(d.workspaceId, d.minute, ...ROLLUP_COUNTERS.map((c) => d[c] ?? 0));
    if (!ROLLUP_HISTOGRAMS.some((h) => d[h])) return;
    const row = this.stmt(
      `SELECT ${ROLLUP_HISTOGRAMS.join(", ")} FROM ${table} WHERE workspace_id = ? AND start = ?`,
    ).get(d.workspaceId, d.minute) as Record<string, string | null> | undefined;
    const merged = ROLLUP_HISTOGRAMS.map((h) =>
      JSON.stringify(mergeHistograms(row?.[h] ? (JSON.parse(row[h]) as number[]) : [], d[h] ?? [])),
    );
    this.stmt(
      `UPDATE ${table} SET ${ROLLUP_HISTOGRAMS.map((h) => `${h} = ?`).join(", ")} WHERE workspace_id = ? AND start = ?`,
    ).run(...merged, d.workspaceId, d.minute);
  }
}
