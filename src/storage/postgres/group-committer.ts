/**
 * Group commit for PostgreSQL, the counterpart of storage/sqlite/sqlite-writer-worker.ts:
 * `commitEvents`, `commitTouches` and `addRollups` calls that arrive while a transaction is
 * running queue up and all go into the next one — one COMMIT, one WAL flush for many
 * requests. `synchronous_commit` stays on, so a resolved promise still means durable.
 *
 * A group first runs optimistically: every operation's rows are buffered and written once,
 * a handful of statements for the whole group. If that fails (a bug, bad data), the group
 * runs again with one SAVEPOINT per operation, so the failing one is rolled back alone and
 * the others commit — as the SQLite writer does. A deadlock or serialization failure between nodes aborts
 * the whole group, which is then run again from the start (nothing was answered yet); an
 * unreachable database fails every operation of the group with `storeUnavailable`.
 *
 * What an operation does inside the transaction is the commit core's (commit/), handed in as
 * `core`: this file owns the transaction, the locks taken up front and the rollups' write.
 */
import type pg from "pg";
import type { CommitCore, CommitItem, TouchOutcome } from "../../commit/tx.js";
import type { CommitOutcome, TouchInput } from "../../domain/event.js";
import { RollupAccumulator, type RollupDelta } from "../../monitoring/rollups.js";
import { classify, isRetryable, isUnavailable, RetryGroupError, StoreUnavailableError } from "./errors.js";
import { PgCommitTx } from "./pg-commit-tx.js";
import { writeRollups } from "./rollups.js";
import type { CounterSpace } from "../../quality/counters.js";
import { DAY_MS } from "../../domain/time.js";

/** How often one operation starts over because another node added its identifiers meanwhile. */
const MAX_OP_CLASHES = 8;
/**
 * Runs of a group after a deadlock or serialization failure before its requests get a 503.
 * Persons found merged while being locked are locked after the others, out of id order, so
 * groups merging the same people at once can meet in a circle now and then: PostgreSQL breaks
 * it, and the group that lost runs again after its pause (4.3 s of pauses at most, half on average).
 */
const MAX_GROUP_RETRIES = 10;

export type CommitOp =
  | { kind: "events"; items: CommitItem[]; rollups: RollupDelta[] }
  | {
      kind: "touches";
      workspaceId: string;
      touches: TouchInput[];
      receivedAt: number;
      rollups: RollupDelta[];
    }
  | { kind: "rollups"; deltas: RollupDelta[] };

type Result<O extends CommitOp> = O extends { kind: "events" }
  ? CommitOutcome[]
  : O extends { kind: "touches" }
    ? TouchOutcome[]
    : void;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Queued {
  op: CommitOp;
  weight: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitterOptions {
  dedupWindowMs: number;
  /** The commit core run for each operation (never imported by the backend). */
  core: CommitCore;
  /** Most events (or touches) one transaction takes; bounds the advisory locks it holds. */
  maxGroupWeight: number;
  /** Runs of a group after a deadlock or serialization failure before giving up (default 10). */
  maxRetries?: number;
  /**
   * Groups in flight at once, each its own transaction on its own connection (default 3):
   * while one waits for its COMMIT's WAL flush, the next is locking, reading and writing.
   * They meet on the same locks as two nodes' groups do (taken in the same order), so
   * running several changes nothing of what is decided.
   */
  maxConcurrentGroups?: number;
}

/**
 * The per-address quality counters the group will hit, locked up front in one sorted pass
 * (identity counters need none: the person's row lock already serializes them).
 */
function addressCounters(group: Queued[], events: CommitItem[]): [string, CounterSpace, string][] {
  const out: [string, CounterSpace, string][] = [];
  for (const { event: ev, windows } of events) {
    if (ev.testEventCode !== null) continue;
    const key = ev.qualityInput?.addressKey;
    if (key && windows) out.push([ev.workspaceId, "conversions_per_address", key]);
    const click = ev.touch?.quality?.addressKey;
    if (click) out.push([ev.workspaceId, "clicks_per_address", click]);
  }
  for (const q of group)
    if (q.op.kind === "touches")
      for (const t of q.op.touches)
        if (t.quality?.addressKey) out.push([q.op.workspaceId, "clicks_per_address", t.quality.addressKey]);
  return out;
}

export class GroupCommitter {
  private queue: Queued[] = [];
  private draining: Promise<void> | null = null;
  private running = 0;
  private idle: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: GroupCommitterOptions,
  ) {}

  submit<O extends CommitOp>(op: O): Promise<Result<O>> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("the store is closed"));
    const weight = op.kind === "events" ? op.items.length : op.kind === "touches" ? op.touches.length : 1;
    return new Promise<Result<O>>((resolve, reject) => {
      this.queue.push({ op, weight: Math.max(1, weight), resolve: resolve as (v: unknown) => void, reject });
      // setImmediate: every request parsed in this turn of the event loop joins the group.
      if (!this.scheduled && this.running < this.maxConcurrent) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.startGroups();
        });
      }
      this.draining ??= new Promise<void>((done) => (this.idle = done));
    });
  }

  private scheduled = false;
  private growing = false;

  private growPool(): void {
    if (this.growing || this.closed || this.pool.totalCount >= this.maxConcurrent + 1) return;
    this.growing = true;
    this.pool
      .connect()
      .then((c) => c.release())
      .catch(() => undefined) // a group that needs it will say so
      .finally(() => (this.growing = false));
  }

  private get maxConcurrent(): number {
    return Math.max(1, this.opts.maxConcurrentGroups ?? 3);
  }

  /** Starts groups from the queue while fewer than `maxConcurrentGroups` are in flight. */
  private startGroups(): void {
    while (this.queue.length > 0 && this.running < this.maxConcurrent) {
      // A second group only on a connection already open: opening one can take longer than
      // the connect timeout on a loaded server, which would fail a whole group with a 503.
      // The pool is grown in the background instead, and the next group finds it.
      if (this.running > 0 && this.pool.idleCount === 0) {
        this.growPool();
        break;
      }
      let weight = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || weight + this.queue[n]!.weight <= this.opts.maxGroupWeight))
        weight += this.queue[n++]!.weight;
      const group = this.queue.slice(0, n);
      this.queue = this.queue.slice(n);
      this.running++;
      void this.runWithRetry(group).finally(() => {
        this.running--;
        // What queued meanwhile goes next; this turn's new requests join it (setImmediate).
        if (this.queue.length > 0) {
          if (!this.scheduled) {
            this.scheduled = true;
            setImmediate(() => {
              this.scheduled = false;
              this.startGroups();
            });
          }
        } else if (this.running === 0) {
          const done = this.idle;
          this.idle = null;
          this.draining = null;
          done?.();
        }
      });
    }
  }

  /** Refuses new operations and waits for the queued ones to commit. */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
  }

  private async runWithRetry(group: Queued[]): Promise<void> {
    const maxRetries = this.opts.maxRetries ?? MAX_GROUP_RETRIES;
    // Optimistic first: every operation's rows buffered and written once for the whole group.
    // Should that fail for one operation's sake, the group runs again one SAVEPOINT per
    // operation, so only the culprit fails.
    let isolated = group.length === 1;
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await this.runGroup(group, isolated);
        results.forEach((r, i) => (r.ok ? group[i]!.resolve(r.value) : group[i]!.reject(r.error)));
        return;
      } catch (err) {
        if (err instanceof RetryGroupError && !isolated && attempt < maxRetries) {
          // Another node added identifiers this group took for new. Run it again an operation
          // per SAVEPOINT, so a further clash reruns only the operation it concerns.
          isolated = true;
          continue;
        }
        if (isRetryable(err) && attempt < maxRetries) {
          // The other transaction is finishing; a random pause, doubling each time (full
          // jitter), lets it, and keeps two groups that keep meeting from meeting again.
          await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(1000, 10 * 2 ** attempt)));
          continue;
        }
        if (!isolated && !isUnavailable(err) && !isRetryable(err)) {
          isolated = true;
          continue;
        }
        const e = isRetryable(err)
          ? new StoreUnavailableError("the database stayed too contended to commit; retry", { cause: err })
          : classify(err);
        for (const q of group) q.reject(e);
        return;
      }
    }
  }

  /**
   * One group, one transaction on one connection in pipeline mode (pool.ts): BEGIN goes out
   * with the group's locks and reads, and its writes, rollups and COMMIT go out together, so a
   * group costs a few round trips whatever its size; the COMMIT is answered (durable:
   * `synchronous_commit` stays on) before any operation resolves.
   */
  private async runGroup(group: Queued[], isolated: boolean): Promise<Outcome[]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const tx = new PgCommitTx(client, this.opts.dedupWindowMs);
      tx.send("BEGIN");
      try {
        const out = await this.inTransaction(tx, group, isolated);
        let committed = false;
        tx.send("COMMIT", undefined, (r) => (committed = r.command === "COMMIT"));
        await tx.settle();
        // A COMMIT of a transaction an error aborted answers ROLLBACK, not an error.
        if (!committed) throw new Error("the group's transaction was rolled back at COMMIT");
        return out;
      } catch (err) {
        await tx.settle().catch(() => undefined); // every statement answered before the ROLLBACK
        if (isUnavailable(err)) broken = err as Error;
        else await client.query("ROLLBACK").catch((e: Error) => (broken = e));
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  private async inTransaction(tx: PgCommitTx, group: Queued[], isolated: boolean): Promise<Outcome[]> {
    const events = group.flatMap((q) => (q.op.kind === "events" ? q.op.items : []));
    const currencies = await this.prefetch(tx, group, events);
    const total = new RollupAccumulator();
    const out: Outcome[] = [];
    // A lone operation needs no SAVEPOINT: its failure is the transaction's.
    const savepoints = isolated && group.length > 1;
    let opened = false;
    for (const q of group) {
      if (q.op.kind === "rollups") {
        total.addAll(q.op.deltas);
        out.push({ ok: true, value: undefined });
        continue;
      }
      if (!isolated) {
        out.push({ ok: true, value: await this.runOp(tx, q.op, currencies) });
        continue;
      }
      // Sent with the operation's first statement: release the previous operation's
      // savepoint and open the next one together (COMMIT releases the last).
      if (savepoints) tx.send(opened ? "RELEASE SAVEPOINT op; SAVEPOINT op" : "SAVEPOINT op");
      opened = true;
      for (let clash = 0; ; clash++) {
        try {
          const value = await this.runOp(tx, q.op, currencies);
          await tx.flush();
          total.merge(tx.endOp());
          out.push({ ok: true, value });
          break;
        } catch (err) {
          // Identifiers another node added meanwhile (committed: the insert waited for it):
          // this operation alone starts over from its savepoint and reads them.
          const again = savepoints && err instanceof RetryGroupError && clash < MAX_OP_CLASHES;
          // The group cannot go on without its connection; other contention reruns the whole group.
          if (!again && (!savepoints || isUnavailable(err) || isRetryable(err))) throw err;
          await tx.settle().catch(() => undefined);
          tx.clearFailure();
          tx.send("ROLLBACK TO SAVEPOINT op"); // the savepoint stays, empty
          tx.abortOp();
          if (again) {
            tx.forgetAbsent();
            continue;
          }
          out.push({ ok: false, error: err });
          break;
        }
      }
    }
    if (!isolated) {
      await tx.sendFlush();
      total.merge(tx.endOp());
    }
    await tx.writeCreditRollup();
    await writeRollups(tx.sink, total.drain());
    return out;
  }

  /**
   * Locks and reads, once for the whole group and in a stable order, the destinations its
   * conversions are routed to, the dedup keys and the identity groups its events will look
   * up, and the touches its conversions can be attributed to; returns the workspaces'
   * currencies. All of it in two round trips (PgCommitTx.prefetch).
   */
  private async prefetch(
    tx: PgCommitTx,
    group: Queued[],
    events: CommitItem[],
  ): Promise<Map<string, string>> {
    const keys: [string, string][] = [];
    const idents = new Map<string, string[]>();
    const addIdents = (ws: string, list: { kind: string; value: string }[]) => {
      let l = idents.get(ws);
      if (!l) idents.set(ws, (l = []));
      for (const i of list) l.push(`${i.kind}:${i.value}`);
    };
    const touchSpans = new Map<string, [number, number]>();
    for (const { event: ev, windows } of events) {
      for (const key of this.opts.core.dedupKeys(ev).lookup) keys.push([ev.workspaceId, key]);
      if (ev.testEventCode !== null) continue;
      addIdents(ev.workspaceId, ev.identifiers);
      if (windows) {
        const from = ev.eventTime - Math.max(windows.clickWindowDays, windows.viewWindowDays) * DAY_MS;
        const span = touchSpans.get(ev.workspaceId);
        if (!span) touchSpans.set(ev.workspaceId, [from, ev.eventTime]);
        else touchSpans.set(ev.workspaceId, [Math.min(span[0], from), Math.max(span[1], ev.eventTime)]);
      }
    }
    for (const q of group)
      if (q.op.kind === "touches") for (const t of q.op.touches) addIdents(q.op.workspaceId, t.identifiers);
    // Destinations locks first: a destination being created waits for this group, and this
    // group, holding nothing else yet, never waits behind it while holding what another needs.
    const currencies = await tx.prefetch({
      routed: events.filter((i) => i.windows).map((i) => i.event.workspaceId),
      workspaces: events.map((i) => i.event.workspaceId),
      dedup: keys,
      idents,
      counters: addressCounters(group, events),
      touchSpans,
    });
    tx.endOp();
    return currencies;
  }

  private async runOp(
    tx: PgCommitTx,
    op: Exclude<CommitOp, { kind: "rollups" }>,
    currencies: Map<string, string>,
  ): Promise<unknown> {
    const core = this.opts.core;
    const rollups = tx.rollups;
    rollups.addAll(op.rollups);
    const out =
      op.kind === "events"
        ? await core.commitEvents(tx, op.items, {
            rollups,
            dedupWindowMs: this.opts.dedupWindowMs,
            currencyOf: (ws) => currencies.get(ws) ?? null,
          })
        : await core.commitTouches(tx, op.workspaceId, op.touches, op.receivedAt, { rollups });
    return out;
  }
}
