/**
 * The checkpoint thread (checkpointer.ts): a connection of its own that copies the writer's
 * write-ahead log into the database with PASSIVE checkpoints, which wait for no lock a commit
 * needs. It looks every `intervalMs` and copies only when the writer has committed since.
 */
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { Cell, type CheckpointerData, Restart } from "./checkpointer.js";

/** When starting the log over: passes until one copies fewer frames than this (or 6 passes). */
const CATCH_UP_FRAMES = 256;
const CATCH_UP_PASSES = 6;
/** Longest between two passes while the writer commits (ms). */
const MAX_WAIT_MS = 1000;
/** Failed looks in a row after which the thread stops and the writer checkpoints on its own. */
const MAX_FAILURES = 10;

interface Pass {
  /** 1: another connection was checkpointing (an erasure's wipe), nothing copied. */
  busy: number;
  /** Frames in the log. */
  log: number;
  /** Frames of it now in the database. */
  checkpointed: number;
}

const port = parentPort;
if (port) {
  const { path, cells: buffer, intervalMs, passFrames, restartFrames } = workerData as CheckpointerData;
  const cells = new Int32Array(buffer);
  const db = new Database(path, { fileMustExist: true });
  // A checkpoint syncs the log before it copies and the database before it counts the frames
  // as copied (after which the log may be started over); only OFF would skip both.
  db.pragma("synchronous = NORMAL");
  const pass = (): Pass => (db.pragma("wal_checkpoint(PASSIVE)") as Pass[])[0]!;
  // Pacing: a pass when the groups committed since the last one have written about
  // `passFrames` (at the frames a group wrote over the last interval), or a second after it.
  // Each pass ends in an fsync of the database file; one every look at a light load would sync
  // far more often than SQLite's own checkpoints and jostle the commits' syncs.
  let seen = Atomics.load(cells, Cell.commits);
  let lastAt = performance.now();
  let lastLog = 0;
  let framesPerGroup = passFrames;

  const due = (commits: number): boolean =>
    (commits - seen) * framesPerGroup >= passFrames || performance.now() - lastAt >= MAX_WAIT_MS;

  /** A pass if one is due; true when the log is long and mostly copied: the writer's turn. */
  const tick = (): boolean => {
    const commits = Atomics.load(cells, Cell.commits);
    if (commits === seen || !due(commits)) return false;
    // Said before looking at `paused`, which the writer sets before looking at this: one of
    // the two sees the other (checkpointer.ts, `paused`).
    Atomics.store(cells, Cell.passing, 1);
    try {
      if (Atomics.load(cells, Cell.paused) === 1) return false;
      let r = pass();
      if (r.busy !== 0) return false; // the writer is copying the log itself: the next look passes
      const grown = r.log >= lastLog ? r.log - lastLog : r.log; // smaller: started over since
      framesPerGroup = Math.max(1, grown / (commits - seen));
      seen = commits;
      lastAt = performance.now();
      lastLog = r.log;
      if (r.log < restartFrames) return false;
      // The log is long: copy what the writer added during the pass, and again, until a pass
      // finds little; the writer then copies the rest after its next group and starts it over.
      for (let i = 0; i < CATCH_UP_PASSES; i++) {
        if (Atomics.load(cells, Cell.paused) === 1) return false;
        const q = pass();
        if (q.busy !== 0 || q.log < r.log) return false; // an erasure's wipe, or started over
        const copied = q.checkpointed - r.checkpointed;
        r = q;
        if (copied < CATCH_UP_FRAMES) break;
      }
      // Counted from 0 again: the writer is about to start the log over (if it cannot, the
      // next pass overrates the groups' frames once, and comes sooner).
      lastLog = 0;
      return true;
    } finally {
      Atomics.store(cells, Cell.passing, 0);
      Atomics.notify(cells, Cell.passing);
    }
  };

  let failures = 0;
  const stop = (): void => {
    clearInterval(timer);
    db.close();
    port.close();
  };
  const timer = setInterval(() => {
    // The writer's turn: no pass until it has copied the rest and its next transaction has
    // started the log over (checkpointer.ts, `copyRest`).
    if (Atomics.load(cells, Cell.restart) !== Restart.none) return;
    try {
      if (tick()) Atomics.store(cells, Cell.restart, Restart.wanted);
      failures = 0;
    } catch {
      // A failed copy loses nothing: the log still holds every commit. Failing on, the thread
      // stops, and the writer's connection copies the log itself as SQLite does by default.
      if (++failures >= MAX_FAILURES) stop();
    }
  }, intervalMs);
  port.on("message", (m: unknown) => {
    if (m === "close") stop();
  });
  port.postMessage("ready");
}
