/**
 * The writer thread: owns the SQLite write connection (through the group committer).
 * Operations posted while a commit is syncing queue up and go into the next transaction
 * together: group commit, one fsync for many requests, and the main thread never blocks on the
 * disk. The thread's entry (src/sqlite-writer-main.ts) hands it the commit core.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { CommitCore } from "../../commit/tx.js";
import { SqliteGroupCommitter, type OpMessage, type Reply, type WriterOptions } from "./group-committer.js";
import { nextGroup, type Queued } from "./writer-queue.js";

export type { Reply };

export function runWriterThread(core: CommitCore): void {
  const port = parentPort!;
  const { maxGroupWeight, ...opts } = workerData as WriterOptions & { maxGroupWeight: number };
  const committer = new SqliteGroupCommitter(opts, core);

  let queue: Queued[] = [];
  let scheduled = false;
  let closing = false;

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    // setImmediate runs after the poll phase, so every message that arrived meanwhile joins.
    setImmediate(() => void drain());
  };

  const drain = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        // Background work (claims, settlements, purge slices) waits behind requests queued
        // with it, once (writer-queue.ts).
        const next = nextGroup(queue, maxGroupWeight);
        queue = next.rest;
        port.postMessage(await committer.run(next.group));
        // After the answers are on their way: work of the group's own that no reply waits for.
        committer.afterGroup(next.group);
      }
    } finally {
      scheduled = false;
    }
    if (closing) {
      await committer.close();
      port.postMessage({ closed: true });
    }
  };

  // The store posts the operations of one turn of its event loop as one list (`close` alone).
  port.on("message", (m: OpMessage[] | { op: "close" }) => {
    if (Array.isArray(m)) for (const op of m) queue.push(op);
    else if (m.op === "close") closing = true;
    schedule();
  });
  // Ready once the checkpoint thread runs (or has failed to start): a store's first commits
  // are then counted for it.
  void (committer.checkpointer?.started ?? Promise.resolve()).then(() => port.postMessage({ ready: true }));
}
