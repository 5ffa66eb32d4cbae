/**
 * The quality counters on the SQLite write connection (`CommitTx.qualityHit`): one row per
 * (workspace, space, key) with the times of its last occurrences (JSON), written in the
 * group's transaction, so a counted hit is as durable as the event it judged and a rolled-back
 * one never counted. The writer thread is the only writer of the file, so what it wrote is
 * also kept in an LRU (bounded by entries) and read from there; any rollback empties it.
 */
import type Database from "better-sqlite3";
import { LRUCache } from "lru-cache";
import { commitTime, slide, type CounterHit } from "../../quality/counters.js";

export class SqliteQualityCounters {
  private readonly read: Database.Statement;
  private readonly write: Database.Statement;
  private readonly cache = new LRUCache<string, number[]>({ max: 50_000 });

  constructor(db: Database.Database) {
    this.read = db.prepare(
      "SELECT times FROM quality_counters WHERE workspace_id = ? AND space = ? AND key = ?",
    );
    this.write = db.prepare(
      `INSERT INTO quality_counters (workspace_id, space, key, times, last_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, space, key) DO UPDATE SET times = excluded.times, last_at = excluded.last_at`,
    );
  }

  hit(workspaceId: string, hits: readonly CounterHit[], at: number): number[] {
    const out: number[] = [];
    for (const h of hits) {
      const id = `${workspaceId}|${h.space}|${h.key}`;
      let times = this.cache.get(id);
      if (times === undefined) {
        const row = this.read.get(workspaceId, h.space, h.key) as { times: string } | undefined;
        times = row ? (JSON.parse(row.times) as number[]) : [];
        this.cache.set(id, times);
      }
      out.push(slide(times, commitTime(times, at), h.windowMs, Math.max(1, h.cap)));
      this.write.run(workspaceId, h.space, h.key, JSON.stringify(times), Math.max(at, times.at(-1) ?? at));
    }
    return out;
  }

  /** A transaction (or an operation's savepoint) was rolled back: the cache may hold what it wrote. */
  forget(): void {
    this.cache.clear();
  }
}
