/**
 * The write-ahead log's checkpoints, beside the writer instead of inside its commits.
 *
 * SQLite checkpoints automatically: the COMMIT that takes the log past `wal_autocheckpoint`
 * pages also copies the whole log into the database and fsyncs it before it returns. That
 * COMMIT's group waited for it: under single events at 50 connections, 1 % of commits took
 * over 20 ms (up to 100–130 ms), each one a checkpoint of some 32 MB.
 *
 * Here a thread of its own (checkpoint-worker.ts), with its own connection, copies the log
 * with PASSIVE checkpoints, which never make a commit wait, while the writer goes on, and
 * the writer's connection checkpoints no more on its own. What a thread beside the writer
 * cannot do is start the log over: SQLite does that at the start of a write transaction, and
 * only when every frame of the log is already in the database. Under steady load the writer
 * has always written more by then, and the log would grow without bound. So when the log has
 * reached `restartFrames`, the thread copies it until little is left and raises a flag; after
 * its next group's replies are posted, the writer copies that little itself, and its next
 * transaction starts the log over.
 *
 * If the thread cannot start or stops (it stops after repeated failed passes), the writer
 * checkpoints automatically as before. An erasure's wipe (wipe-file.ts) empties the log itself;
 * the thread waits while it does.
 */
import type Database from "better-sqlite3";
import { Worker } from "node:worker_threads";

/**
 * The writer connection's automatic checkpoint when no thread runs them (migrate.ts): every
 * ~32 MB of log instead of SQLite's 4 MB (1000 pages). Each checkpoint copies and fsyncs the
 * pages written since the last, and the hot ones (index roots, rollup rows) are written by
 * every group, so a longer log copies each of them once for many groups.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 8192;

/** The thread's pace (defaults: CHECKPOINT_INTERVAL_MS, PASS_FRAMES, RESTART_FRAMES). */
export interface CheckpointSettings {
  /** How often the thread looks for new commits to copy (ms). */
  intervalMs: number;
  /** Frames (pages) of log a pass aims to copy: fewer, larger passes at a light load. */
  passFrames: number;
  /** Log length (frames, i.e. pages) at which the log is started over. */
  restartFrames: number;
}

/** How the writer runs its checkpoints (`WriterOptions.checkpointer`). */
export interface CheckpointerOptions extends CheckpointSettings {
  /** The thread's module (checkpoint-worker.ts, built or bundled: worker-script.ts). */
  script: string;
}

/** The thread's module, as this file is run: built, or from the sources (bundled by worker-script.ts). */
export const CHECKPOINT_ENTRY = new URL(
  `./checkpoint-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`,
  import.meta.url,
);

/** Looks for new commits every 100 ms. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** A pass copies about 4,096 frames (16 MB of log), or what a tenth of a second wrote if more. */
export const PASS_FRAMES = 4096;
/** Starts the log over at 16,384 frames: a log file of some 64 MB. */
export const RESTART_FRAMES = 16_384;

/** What the thread gets (workerData). */
export interface CheckpointerData extends CheckpointSettings {
  path: string;
  /** `Int32Array` cells over this buffer, indexed by `Cell`, shared with the writer. */
  cells: SharedArrayBuffer;
}

/** The shared cells. */
export const Cell = {
  /** Groups the writer has committed (it adds one after each). */
  commits: 0,
  /** Starting the log over (`Restart`): the thread waits while it is not `none`. */
  restart: 1,
  /** 1: the writer is emptying the log itself (an erasure); no pass starts. */
  paused: 2,
  /** 1: the thread is in a pass (SQLite's checkpoint lock), or about to look at `paused`. */
  passing: 3,
} as const;

/** The `restart` cell. */
export const Restart = {
  none: 0,
  /** Set by the thread: the log is long and mostly copied; the writer copies the rest. */
  wanted: 1,
  /** Set by the writer: copied; the next transaction starts the log over. */
  copied: 2,
} as const;

/** Longest the writer waits for a pass in progress before an erasure's wipe (ms). */
const PASS_WAIT_MS = 10_000;
/**
 * Groups the writer tries to copy the rest of a long log (a reader may hold part of it) before
 * it hands the log back to the thread, which copies on and asks again.
 */
const COPY_TRIES = 20;

/** The writer thread's side: starts the thread and keeps its own connection's setting in step. */
export class Checkpointer {
  private readonly cells = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  private worker: Worker | null;
  /** True while the thread runs: the writer's connection does not checkpoint on its own. */
  private deferring = false;
  /** Groups since the thread asked for the rest to be copied. */
  private copyTries = 0;
  /** Settles once the thread runs, or has failed to start (the automatic checkpoints stay). */
  readonly started: Promise<void>;

  constructor(
    private readonly db: Database.Database,
    path: string,
    opts: CheckpointerOptions,
  ) {
    const data: CheckpointerData = {
      path,
      cells: this.cells.buffer,
      intervalMs: Math.max(1, opts.intervalMs),
      passFrames: Math.max(1, opts.passFrames),
      restartFrames: Math.max(1, opts.restartFrames),
    };
    const worker = new Worker(new URL(opts.script), { workerData: data });
    this.worker = worker;
    // The writer's port keeps its thread alive; this one never does on its own.
    worker.unref();
    let settle = (): void => {};
    this.started = new Promise<void>((resolve) => (settle = resolve));
    worker.on("message", (m) => {
      if (m !== "ready") return;
      this.defer(true);
      settle();
    });
    // An error ends the thread (as do repeated failed passes): its `exit` follows, and the
    // writer's connection checkpoints on its own again. Nothing is lost: the log holds every
    // commit until some checkpoint copies it.
    worker.on("error", () => {});
    worker.on("exit", () => {
      this.worker = null;
      // A thread ended inside a pass (terminated) leaves no pass for an erasure to wait for.
      Atomics.store(this.cells, Cell.passing, 0);
      Atomics.notify(this.cells, Cell.passing);
      Atomics.store(this.cells, Cell.restart, Restart.none);
      this.defer(false);
      settle();
    });
  }

  /** Whether the thread is copying the log (the writer's own checkpoints are off). */
  get running(): boolean {
    return this.deferring;
  }

  /** Whether an erasure's wipe would wait for a pass of the thread now (`paused`). */
  get passInProgress(): boolean {
    return this.worker !== null && Atomics.load(this.cells, Cell.passing) === 1;
  }

  /**
   * After a group's replies are posted: counts the commit for the thread and, when it asks,
   * copies what is left of a long log, so that the next transaction starts it over.
   */
  afterGroup(): void {
    if (!this.deferring) return;
    const restart = Atomics.load(this.cells, Cell.restart);
    // This group's transaction was the first after the copy: it started the log over (unless
    // a reader held part of it; the thread then finds the log long again and asks again).
    if (restart === Restart.copied) Atomics.store(this.cells, Cell.restart, Restart.none);
    else if (restart === Restart.wanted) this.copyRest();
    Atomics.add(this.cells, Cell.commits, 1);
  }

  /**
   * Copies what the thread left of a long log, so that the next transaction starts it over.
   * It runs alone: the thread starts no pass while `restart` is not `none`. What a reader still
   * holds cannot be copied; the writer tries again after each group, COPY_TRIES times, then
   * hands the log back to the thread.
   */
  private copyRest(): void {
    let whole = false;
    try {
      const [r] = this.db.pragma("wal_checkpoint(PASSIVE)") as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      whole = r !== undefined && r.busy === 0 && r.checkpointed === r.log;
    } catch {
      // Tried again after the next group.
    }
    if (whole || ++this.copyTries >= COPY_TRIES) {
      this.copyTries = 0;
      Atomics.store(this.cells, Cell.restart, whole ? Restart.copied : Restart.none);
    }
  }

  /**
   * Runs `fn`, which checkpoints the log itself, with no pass of the thread running: SQLite
   * answers a checkpoint "busy" at once, without waiting, while another holds its lock.
   */
  paused<T>(fn: () => T): T {
    if (!this.worker) return fn(); // no thread, no pass
    Atomics.store(this.cells, Cell.paused, 1);
    try {
      // Set before looking at `passing`, which the thread sets before looking at this: either
      // the thread sees the pause and starts nothing, or this sees its pass and waits for it.
      Atomics.wait(this.cells, Cell.passing, 1, PASS_WAIT_MS);
      return fn();
    } finally {
      Atomics.store(this.cells, Cell.paused, 0);
    }
  }

  /** Ends the thread (its connection closed); the writer's connection checkpoints on its own again. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage("close");
    await exited;
  }

  private defer(on: boolean): void {
    if (this.deferring === on || !this.db.open) return;
    this.db.pragma(`wal_autocheckpoint = ${on ? 0 : WAL_AUTOCHECKPOINT_PAGES}`);
    this.deferring = on;
  }
}
