/**
 * Worker thread that owns the SQLite write connection. Operations posted while a commit is
 * syncing queue up and go into the next transaction together: group commit, one fsync for
 * many requests, and the main thread never blocks on the disk.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SqliteWriter, type WriterOptions } from "./sqlite-writer.js";
import { wipeErased } from "./wipe-file.js";
import { spendOps } from "./spend-writes.js";
import { rulesOps } from "./rules-writes.js";

interface OpMessage {
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

const port = parentPort!;
const { maxGroupWeight, ...opts } = workerData as WriterOptions & { maxGroupWeight: number };
const writer = new SqliteWriter(opts);

const OPS: Record<string, (...args: never[]) => unknown> = {
  commitEvents: writer.commitEvents.bind(writer),
  commitTouches: writer.commitTouches.bind(writer),
  addRollups: writer.addRollupsOp.bind(writer),
  createWorkspace: writer.createWorkspace.bind(writer),
  updateWorkspace: writer.updateWorkspace.bind(writer),
  upsertConversionAction: writer.upsertConversionAction.bind(writer),
  createLink: writer.createLink.bind(writer),
  createDestination: writer.createDestination.bind(writer),
  deleteDestination: writer.deleteDestination.bind(writer),
  createDestinationWithinLimit: writer.createDestinationWithinLimit.bind(writer),
  initKeyCheck: writer.initKeyCheck.bind(writer),
  setDestinationRoute: writer.setDestinationRoute.bind(writer),
  claimDeliveries: writer.claimDeliveries.bind(writer),
  completeDeliveries: writer.completeDeliveries.bind(writer),
  replayDead: writer.replayDead.bind(writer),
  erase: writer.erase.bind(writer),
  purge: writer.purge.bind(writer),
  createSession: writer.createSession.bind(writer),
  deleteSession: writer.deleteSession.bind(writer),
  rotateWorkspaceKey: writer.rotateWorkspaceKey.bind(writer),
  reattribute: writer.reattribute.bind(writer),
  ...spendOps(writer.db),
  ...rulesOps(writer.db),
};

let queue: OpMessage[] = [];
let scheduled = false;
let closing = false;

port.on("message", (m: OpMessage | { op: "close" }) => {
  if (m.op === "close") {
    closing = true;
    schedule();
    return;
  }
  queue.push(m as OpMessage);
  schedule();
});

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // setImmediate runs after the poll phase, so every message that arrived meanwhile joins.
  setImmediate(() => void drain());
}

async function drain(): Promise<void> {
  try {
    while (queue.length > 0) {
      let weight = 0;
      let n = 0;
      while (n < queue.length && (n === 0 || weight + queue[n]!.weight <= maxGroupWeight))
        weight += queue[n++]!.weight;
      const group = queue.slice(0, n);
      queue = queue.slice(n);
      let replies: Reply[];
      try {
        replies = finishErasures(group, await runGroup(group));
      } catch (err) {
        // BEGIN itself failed (another process held the write lock past busy_timeout, the
        // disk is gone, …): the group is answered with the error and the writer carries on.
        if (writer.db.inTransaction) writer.db.exec("ROLLBACK");
        writer.discardGroup();
        const error = `the store could not start a transaction: ${err instanceof Error ? err.message : String(err)}`;
        replies = group.map((m) => ({ id: m.id, ok: false, error }));
      }
      port.postMessage(replies);
    }
  } finally {
    scheduled = false;
  }
  if (closing) {
    writer.db.close();
    port.postMessage({ closed: true });
  }
}

/**
 * One transaction for the whole group. The fast path runs every operation directly; if one
 * throws, the transaction is rolled back and the group is run again with a SAVEPOINT around
 * each operation, so one failure never sinks the others (a bug or a constraint, not bad
 * input: bad input never reaches the store).
 */
async function runGroup(group: OpMessage[]): Promise<Reply[]> {
  const db = writer.db;
  db.exec("BEGIN IMMEDIATE");
  const fast: Reply[] = [];
  try {
    for (const m of group) fast.push({ id: m.id, ok: true, result: await runOp(m) });
    writer.flushGroup();
    return commit(group, fast);
  } catch {
    if (db.inTransaction) db.exec("ROLLBACK");
    writer.discardGroup();
  }
  const replies: Reply[] = [];
  db.exec("BEGIN IMMEDIATE");
  for (const m of group) {
    db.exec("SAVEPOINT op");
    try {
      const result = await runOp(m);
      db.exec("RELEASE op");
      replies.push({ id: m.id, ok: true, result });
    } catch (err) {
      db.exec("ROLLBACK TO op");
      db.exec("RELEASE op");
      writer.discardOp();
      replies.push({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  writer.flushGroup();
  return commit(group, replies);
}

/**
 * After the COMMIT of a group with erasures, and before their replies: the files must hold
 * none of the erased bytes (wipe-file.ts). The group's other operations are unaffected.
 */
function finishErasures(group: OpMessage[], replies: Reply[]): Reply[] {
  const patterns = writer.takeErasurePatterns();
  if (patterns.length === 0) return replies;
  try {
    wipeErased(writer.db, opts.path, patterns);
    return replies;
  } catch (err) {
    const erasures = new Set(group.filter((m) => m.op === "erase").map((m) => m.id));
    const error = `the erasure is not finished: ${err instanceof Error ? err.message : String(err)}`;
    return replies.map((r) =>
      r.ok && erasures.has(r.id) ? { id: r.id, ok: false, error, kind: "erasure" } : r,
    );
  }
}

function runOp(m: OpMessage): unknown {
  const fn = OPS[m.op];
  if (!fn) throw new Error(`unknown store operation ${m.op}`);
  return fn(...(JSON.parse(m.args) as never[]));
}

function commit(group: OpMessage[], replies: Reply[]): Reply[] {
  const db = writer.db;
  try {
    db.exec("COMMIT"); // with synchronous=FULL this is the fsync that makes every reply true
    return replies;
  } catch (err) {
    if (db.inTransaction) db.exec("ROLLBACK");
    writer.discardGroup();
    const error = `commit failed: ${err instanceof Error ? err.message : String(err)}`;
    return group.map((m) => ({ id: m.id, ok: false, error }));
  }
}

port.postMessage({ ready: true });
