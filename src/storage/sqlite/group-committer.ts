/**
 * Group commit for SQLite, the counterpart of storage/postgres/group-committer.ts: the writer
 * thread (sqlite-writer-worker.ts) hands it every operation that queued while the last commit
 * was syncing, and it runs them in ONE transaction with one fsync. Ingest operations run the
 * commit core it was handed (never imported: see commit/tx.ts) over `SqliteCommitTx`; the other
 * writes are `SqliteWrites`; the group's rollups are summed and written once, before COMMIT.
 *
 * The group runs without savepoints; if one operation throws, the transaction is rolled back
 * and the group runs again with a SAVEPOINT around each operation, so one failure never sinks
 * the others (a bug or a constraint, not bad input: bad input never reaches the store).
 */
import { rulesOps } from "./rules-writes.js";
import { spendOps } from "./spend-writes.js";
import { reconciliationOps } from "./reconciliation-writes.js";
import type Database from "better-sqlite3";
import type { CommitCore, CommitItem, WindowsByWorkspace } from "../../commit/tx.js";
import type { TouchInput } from "../../domain/event.js";
import { RollupAccumulator, type RollupDelta } from "../../monitoring/rollups.js";
import { CreditRollupAccumulator } from "../credit-rollup.js";
import { SqliteCreditRollupWriter } from "./credit-rollup.js";
import { openDatabase, migrate } from "./migrate.js";
import { SqliteRollupWriter } from "./rollups.js";
import { SqliteCommitTx } from "./sqlite-commit-tx.js";
import { SqliteMonitoringWrites } from "./sqlite-monitoring.js";
import { SqliteWrites } from "./sqlite-writes.js";
import { Checkpointer, type CheckpointerOptions } from "./checkpointer.js";
import { wipeErased } from "./wipe-file.js";

export interface WriterOptions {
  path: string;
  synchronous: "full" | "normal";
  dedupWindowMs: number;
  /** Checkpoints on a thread of their own (checkpointer.ts); absent: SQLite's automatic ones. */
  checkpointer?: CheckpointerOptions | null;
}

/** One operation as the store posts it to the writer thread. */
export interface OpMessage {
  id: number;
  op: string;
  /** JSON of the argument list. */
  args: string;
  weight: number;
}

export type Reply =
  | { id: number; ok: true; result: unknown }
  /** `kind: "erasure"`: an erasure committed but not confirmed gone from the files. */
  | { id: number; ok: false; error: string; kind?: "erasure" };

export class SqliteGroupCommitter {
  readonly db: Database.Database;
  readonly tx: SqliteCommitTx;
  readonly writes: SqliteWrites;
  private readonly rollupWriter: SqliteRollupWriter;
  private readonly creditWriter: SqliteCreditRollupWriter;
  /** Rollups of the operations that succeeded in the current group, written once before COMMIT. */
  private groupRollups = new RollupAccumulator();
  /** Rollups of the operation running now; merged into the group's when it succeeds. */
  private opRollups = new RollupAccumulator();
  /** The credit rollup's deltas of the operations that succeeded (the running one's are `tx.creditRollup`). */
  private readonly groupCredits = new CreditRollupAccumulator();
  private readonly currencies = new Map<string, string>();
  private readonly currencyStmt: Database.Statement;
  private readonly ops: Record<string, (...args: never[]) => unknown>;
  /** The log's checkpoints beside the writer, when the options ask for them. */
  readonly checkpointer: Checkpointer | null;

  constructor(
    private readonly opts: WriterOptions,
    private readonly core: CommitCore,
  ) {
    this.db = openDatabase(opts.path, opts.synchronous);
    migrate(this.db);
    this.checkpointer = opts.checkpointer ? new Checkpointer(this.db, opts.path, opts.checkpointer) : null;
    this.tx = new SqliteCommitTx(this.db);
    this.writes = new SqliteWrites(this.db, {
      onWorkspaceChanged: (ws) => this.currencies.delete(ws),
      onDestinationsChanged: (ws) => this.tx.forgetRoutes(ws),
    });
    this.rollupWriter = new SqliteRollupWriter(this.db);
    this.creditWriter = new SqliteCreditRollupWriter(this.db);
    this.currencyStmt = this.db.prepare("SELECT currency FROM workspaces WHERE id = ?");
    const w = this.writes;
    const monitoring = new SqliteMonitoringWrites(this.db);
    this.ops = {
      monitoring: (method: string, args: unknown[]) => monitoring.run(method, args),
      commitEvents: this.commitEvents.bind(this),
      commitTouches: this.commitTouches.bind(this),
      addRollups: (deltas: RollupDelta[]) => this.groupRollups.addAll(deltas),
      reattribute: this.reattribute.bind(this),
      createWorkspace: w.createWorkspace.bind(w),
      updateWorkspace: w.updateWorkspace.bind(w),
      upsertConversionAction: w.upsertConversionAction.bind(w),
      createLink: w.createLink.bind(w),
      createDestination: w.createDestination.bind(w),
      deleteDestination: w.deleteDestination.bind(w),
      createDestinationWithinLimit: w.createDestinationWithinLimit.bind(w),
      initKeyCheck: w.initKeyCheck.bind(w),
      setDestinationRoute: w.setDestinationRoute.bind(w),
      claimDeliveries: w.claimDeliveries.bind(w),
      completeDeliveries: w.completeDeliveries.bind(w),
      replayDead: w.replayDead.bind(w),
      erase: w.erase.bind(w),
      purge: w.purge.bind(w),
      createSession: w.createSession.bind(w),
      deleteSession: w.deleteSession.bind(w),
      rotateWorkspaceKey: w.rotateWorkspaceKey.bind(w),
      ...spendOps(this.db),
      ...rulesOps(this.db),
      ...reconciliationOps(this.db, {
        rollups: () => this.opRollups,
        currencyOf: this.currencyOf,
        credits: () => this.tx.creditRollup,
      }),
    };
  }

  /** Runs the group in one transaction and answers each operation. */
  async run(group: OpMessage[]): Promise<Reply[]> {
    try {
      return this.finishErasures(group, await this.runGroup(group));
    } catch (err) {
      // BEGIN itself failed (another process held the write lock past busy_timeout, the
      // disk is gone, …): the group is answered with the error and the writer carries on.
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      this.discardGroup();
      const error = `the store could not start a transaction: ${err instanceof Error ? err.message : String(err)}`;
      return group.map((m) => ({ id: m.id, ok: false, error }));
    }
  }

  /** Ends the checkpoint thread first, so that nothing touches the shared cells after the close. */
  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.db.close();
  }

  /**
   * After a group's replies are posted. The checkpoint thread hears of the commit (and may have
   * the writer start the log over, checkpointer.ts). Without that thread: a purge slice
   * rewrites thousands of pages; copied into the database now, they do not fall to the
   * automatic checkpoint after some request's commit, which would hold its answer (55–170 ms
   * seen during a purge of a million keys). PASSIVE: it waits for no reader; what it cannot
   * copy now, a later checkpoint does.
   */
  afterGroup(group: OpMessage[]): void {
    if (this.checkpointer?.running) {
      this.checkpointer.afterGroup();
      return;
    }
    if (!group.some((m) => m.op === "purge")) return;
    try {
      this.db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // The purge itself committed; the automatic checkpoint copies these pages later.
    }
  }

  // ---- ingest operations: the commit core over this transaction ---------------------------

  private currencyOf = (ws: string): string | null => {
    let c = this.currencies.get(ws);
    if (c === undefined) {
      c = (this.currencyStmt.get(ws) as { currency: string } | undefined)?.currency;
      if (c === undefined) return null;
      this.currencies.set(ws, c);
    }
    return c;
  };

  private async commitEvents(items: CommitItem[], rollups: RollupDelta[]) {
    this.opRollups.addAll(rollups);
    return this.core.commitEvents(this.tx, items, {
      rollups: this.opRollups,
      dedupWindowMs: this.opts.dedupWindowMs,
      currencyOf: this.currencyOf,
    });
  }

  private async commitTouches(
    workspaceId: string,
    touches: TouchInput[],
    receivedAt: number,
    rollups: RollupDelta[],
  ) {
    this.opRollups.addAll(rollups);
    return this.core.commitTouches(this.tx, workspaceId, touches, receivedAt, { rollups: this.opRollups });
  }

  private reattribute(workspaceId: string | null, from: number, to: number, windows: WindowsByWorkspace) {
    return this.core.reattribute(this.tx, workspaceId, from, to, windows);
  }

  // ---- the group transaction --------------------------------------------------------------

  private async runOp(m: OpMessage): Promise<unknown> {
    const fn = this.ops[m.op];
    if (!fn) throw new Error(`unknown store operation ${m.op}`);
    const result = await fn(...(JSON.parse(m.args) as never[]));
    this.groupRollups.merge(this.opRollups);
    this.groupCredits.merge(this.tx.creditRollup);
    return result;
  }

  private async runGroup(group: OpMessage[]): Promise<Reply[]> {
    const db = this.db;
    db.exec("BEGIN IMMEDIATE");
    const fast: Reply[] = [];
    try {
      for (const m of group) fast.push({ id: m.id, ok: true, result: await this.runOp(m) });
      this.flushGroup();
      return this.commit(group, fast);
    } catch {
      if (db.inTransaction) db.exec("ROLLBACK");
      this.discardGroup();
    }
    const replies: Reply[] = [];
    db.exec("BEGIN IMMEDIATE");
    for (const m of group) {
      db.exec("SAVEPOINT op");
      const counters = this.tx.counterMark();
      try {
        const result = await this.runOp(m);
        db.exec("RELEASE op");
        replies.push({ id: m.id, ok: true, result });
      } catch (err) {
        db.exec("ROLLBACK TO op");
        db.exec("RELEASE op");
        this.opRollups.drain();
        this.tx.creditRollup.clear();
        this.tx.forgetRoutes();
        this.tx.rollbackCounters(counters);
        replies.push({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    this.flushGroup();
    return this.commit(group, replies);
  }

  /** Before COMMIT: write the group's rollups (one upsert per workspace and minute, per credit rollup row). */
  private flushGroup(): void {
    this.creditWriter.write(this.groupCredits.drain());
    this.rollupWriter.write(this.groupRollups.drain());
    this.tx.endGroup();
  }

  /** After a rollback: forget what the rolled-back operations accumulated or cached. */
  private discardGroup(): void {
    this.groupRollups.drain();
    this.opRollups.drain();
    this.groupCredits.clear();
    this.tx.creditRollup.clear();
    this.creditWriter.endGroup(false);
    this.tx.rollbackCounters();
    this.tx.endGroup();
    this.tx.forgetRoutes();
    this.writes.discardGroup();
  }

  private commit(group: OpMessage[], replies: Reply[]): Reply[] {
    const db = this.db;
    try {
      db.exec("COMMIT"); // with synchronous=FULL this is the fsync that makes every reply true
      this.creditWriter.endGroup(true);
      return replies;
    } catch (err) {
      if (db.inTransaction) db.exec("ROLLBACK");
      this.discardGroup();
      const error = `commit failed: ${err instanceof Error ? err.message : String(err)}`;
      return group.map((m) => ({ id: m.id, ok: false, error }));
    }
  }

  /**
   * After the COMMIT of a group with erasures, and before their replies: the files must hold
   * none of the erased bytes (wipe-file.ts). The group's other operations are unaffected.
   */
  private finishErasures(group: OpMessage[], replies: Reply[]): Reply[] {
    const patterns = this.writes.takeErasurePatterns();
    if (patterns.length === 0) return replies;
    try {
      const wipe = () => wipeErased(this.db, this.opts.path, patterns);
      if (this.checkpointer) this.checkpointer.paused(wipe);
      else wipe();
      return replies;
    } catch (err) {
      const erasures = new Set(group.filter((m) => m.op === "erase").map((m) => m.id));
      const error = `the erasure is not finished: ${err instanceof Error ? err.message : String(err)}`;
      return replies.map((r) =>
        r.ok && erasures.has(r.id) ? { id: r.id, ok: false, error, kind: "erasure" } : r,
      );
    }
  }
}
