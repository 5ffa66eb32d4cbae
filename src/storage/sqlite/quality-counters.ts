/**
 * The quality counters of the embedded store (`CommitTx.qualityHit`), kept by the writer
 * thread in memory: SQLite has one writer — this thread — so no other node counts beside it,
 * and reading and writing a row per hit cost more than a third of an event's ingest. The
 * table is an LRU bounded by entries (an address rotation forgets the least recent keys, as
 * quality/memory-counters.ts does), and it follows the transaction: every change is journalled
 * until the group commits, and a rolled-back group (or one operation's savepoint) puts the
 * times back, so a hit is counted exactly when its event is. A restart starts the windows
 * empty (they are at most an hour long); the `quality_counters` table is PostgreSQL's.
 */
import { LRUCache } from "lru-cache";
import { commitTime, slide, type CounterHit } from "../../quality/counters.js";

export class SqliteQualityCounters {
  private readonly table: LRUCache<string, number[]>;
  /** Changes since the last commit: the key and its times before (undefined: it was absent). */
  private journal: [string, number[] | undefined][] = [];

  constructor(maxEntries = 200_000) {
    this.table = new LRUCache<string, number[]>({ max: maxEntries });
  }

  hit(workspaceId: string, hits: readonly CounterHit[], at: number): number[] {
    const out: number[] = [];
    for (const h of hits) {
      const id = `${workspaceId}|${h.space}|${h.key}`;
      const before = this.table.get(id);
      this.journal.push([id, before ? before.slice() : undefined]);
      const times = before ?? [];
      if (!before) this.table.set(id, times);
      out.push(slide(times, commitTime(times, at), h.windowMs, Math.max(1, h.cap)));
    }
    return out;
  }

  /** Where the journal stands (before an operation that may be rolled back alone). */
  mark(): number {
    return this.journal.length;
  }

  /** Puts back what changed after `mark` (a rolled-back savepoint, or the whole group: 0). */
  rollback(mark = 0): void {
    for (let i = this.journal.length - 1; i >= mark; i--) {
      const [id, before] = this.journal[i]!;
      if (before === undefined) this.table.delete(id);
      else this.table.set(id, before);
    }
    this.journal.length = mark;
  }

  /** The group committed: its changes stay. */
  commit(): void {
    this.journal = [];
  }
}
