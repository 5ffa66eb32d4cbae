/**
 * The calling side of the report thread (report-worker.ts). Long reports on SQLite read
 * hundreds of thousands of rows: on the event loop's own connection they would stall every
 * request for their seconds (the reconciliation of a million orders: ~4 s). Here they run on
 * a worker thread with its own read-only connection, which WAL lets read beside the writer;
 * the event loop only posts the question and receives the rows.
 *
 * The thread starts on the first report (most servers and tests never ask for one) and
 * restarts after a crash; a failure inside a report rejects that report with a StoreError.
 */
import { Worker } from "node:worker_threads";
import { StoreError } from "../storage.js";
import { workerScriptUrl } from "./worker-script.js";
import type { ReportArgs, ReportName, ReportResultOf } from "./report-names.js";
import type { ReportReply, ReportRequest } from "./report-worker.js";

const ENTRY = new URL(`./report-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class ReportThread {
  private worker: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly path: string) {}

  run<K extends ReportName>(name: K, args: ReportArgs<K>): Promise<ReportResultOf<K>> {
    if (this.closed) return Promise.reject(new StoreError("the store is closed"));
    const id = this.nextId++;
    return new Promise<ReportResultOf<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.started().then(
        (w) => w.postMessage({ id, name, args } satisfies ReportRequest),
        (err: unknown) =>
          this.settle({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
    });
  }

  /** The running thread, started if need be; a start that fails is tried again by the next report. */
  private started(): Promise<Worker> {
    this.worker ??= this.start().catch((err: unknown) => {
      this.worker = null;
      throw err;
    });
    return this.worker;
  }

  private async start(): Promise<Worker> {
    const worker = new Worker(await workerScriptUrl(ENTRY), { workerData: { path: this.path } });
    // The store's close() ends it; an idle report thread never keeps the process alive.
    worker.unref();
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => {
        worker.off("error", reject);
        resolve();
      });
      worker.once("error", reject);
    });
    worker.on("message", (m: ReportReply) => this.settle(m));
    worker.on("error", (err) => this.failAll(new StoreError(`the report thread failed: ${err.message}`)));
    worker.on("exit", () => this.failAll(new StoreError("the report thread stopped")));
    return worker;
  }

  private settle(m: ReportReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new StoreError(m.error));
  }

  private failAll(err: Error): void {
    this.worker = null; // the next report starts a new thread
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    const starting = this.worker;
    this.worker = null;
    if (!starting) return;
    const worker = await starting.catch(() => null);
    if (!worker) return;
    const busy = this.pending.size > 0;
    this.failAll(new StoreError("the store is closed"));
    // Idle, it closes its connection and exits; in the middle of a report (whose caller has just
    // been answered with the error above) it is stopped where it is.
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    if (busy) void worker.terminate();
    else worker.postMessage({ close: true });
    const timer = setTimeout(() => void worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
  }
}
