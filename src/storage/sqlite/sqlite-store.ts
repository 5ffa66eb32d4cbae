/**
 * The embedded store: SQLite in WAL mode. Writes go to a worker thread that owns the write
 * connection and group-commits (see sqlite-writer-worker.ts); reads use a second connection
 * on the calling thread, which WAL lets run beside the writer, and the long reports a third,
 * on a report thread (report-thread.ts), so that they never stall the event loop.
 */
import type { QualityQuery, QualityReadout } from "../quality-rows.js";
import Database from "better-sqlite3";
import { Worker } from "node:worker_threads";
import type { Identifier, CommitOutcome, TouchInput } from "../../domain/event.js";
import type { ConversionAction, Workspace } from "../../domain/workspace.js";
import type {
  ArrivalRow,
  Bucket,
  CommitItem,
  ConversionQuery,
  ConversionRow,
  DeliveryJob,
  DeliveryRow,
  DeliveryStatus,
  DeliveryUpdate,
  DestinationRecord,
  ErasureRecord,
  Link,
  MetricsRow,
  NewWorkspace,
  ReportQuery,
  ReportResult,
  RollupDelta,
  Session,
  Store,
  TouchOutcome,
  KeyMatch,
  WorkspaceKeyKind,
  WorkspaceKeys,
  WorkspacePatch,
  WindowsOf,
} from "../storage.js";
import { windowsFor } from "../reattribute-windows.js";
import { deliveryJobOf, type ClaimedEventRow } from "../delivery-row.js";
import { ErasureIncompleteError, StoreError } from "../storage.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";
import { workerScriptUrl } from "./worker-script.js";
import type { Reply, WriterOptions } from "./group-committer.js";
import {
  CHECKPOINT_ENTRY,
  CHECKPOINT_INTERVAL_MS,
  PASS_FRAMES,
  RESTART_FRAMES,
  type CheckpointSettings,
} from "./checkpointer.js";
import { SqliteReader } from "./sqlite-reader.js";
import { ReportThread } from "./report-thread.js";
import { SqliteMonitoringStore } from "./sqlite-monitoring.js";
import { SqliteSpendStore } from "./spend-store.js";
import { SqliteReconciliationStore } from "./reconciliation-store.js";
import type { AdjustmentRecord } from "../reconciliation-store.js";
import { SqliteSpendReads } from "./spend-reads.js";
import { SqliteRulesStore } from "./rules-store.js";
import { SqliteRulesReads } from "./rules-reads.js";
import { listExperiments } from "./experiments.js";
import type { ExperimentCounts, ExperimentQuery, ExperimentSummary } from "../../experiments/types.js";

/** Rows of each kind one slice of the purge deletes: some 6 ms of the writer warm, 50–70 ms cold. */
const PURGE_SLICE_ROWS = 2000;

export interface SqliteStoreOptions {
  path: string;
  synchronous: "full" | "normal";
  dedupWindowMs: number;
  /** Most events one transaction takes (weights: an event 1, any other operation 1). */
  maxGroupWeight: number;
  /**
   * The writer thread's entry module, which wires the commit core into the writer
   * (`SQLITE_WRITER_ENTRY` of open-store.ts): this backend never imports the core itself.
   */
  writer: URL;
  /** Rows of each kind one slice of the purge takes (default PURGE_SLICE_ROWS). */
  purgeSliceRows?: number;
  /**
   * The log's checkpoints on a thread beside the writer (checkpointer.ts), by default looking
   * every CHECKPOINT_INTERVAL_MS, copying about PASS_FRAMES a pass and starting the log over at
   * RESTART_FRAMES; `false`: SQLite's automatic checkpoints inside the writer's commits.
   */
  checkpointer?: false | Partial<CheckpointSettings>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private worker: Worker | null = null;
  private reader: SqliteReader | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Operations called in this turn of the event loop, posted to the writer together. */
  private outbox: { id: number; op: string; args: string; weight: number }[] = [];
  private flushScheduled = false;
  readonly spend = new SqliteSpendStore(
    (op, args, weight) => this.call(op, args, weight),
    (fn) => this.read((r) => fn(new SqliteSpendReads(r.db))),
  );
  readonly rules = new SqliteRulesStore(
    (op, args, weight) => this.call(op, args, weight),
    (fn) => this.read((r) => fn(new SqliteRulesReads(r.db))),
  );
  readonly reconciliation = new SqliteReconciliationStore(
    (op, args, weight) => this.call(op, args, weight),
    (fn) => this.read((r) => fn(r.db)),
    (name, args) => this.reports.run(name, args),
  );

  adjustmentsOf(workspaceId: string, conversionId: string): Promise<AdjustmentRecord[]> {
    return this.reconciliation.adjustmentsOf(workspaceId, conversionId);
  }

  readonly monitoring: SqliteMonitoringStore;
  /** The long reports, on a thread of their own (report-thread.ts). */
  private readonly reports: ReportThread;

  constructor(private readonly opts: SqliteStoreOptions) {
    this.reports = new ReportThread(opts.path);
    this.monitoring = new SqliteMonitoringStore(
      opts.path,
      (method, args) => this.call("monitoring", [method, args]),
      (name, args) => this.reports.run(name, args),
    );
  }

  async init(): Promise<void> {
    const { writer, purgeSliceRows: _slice, checkpointer, ...rest } = this.opts;
    const data: WriterOptions & { maxGroupWeight: number } = {
      ...rest,
      checkpointer:
        checkpointer === false
          ? null
          : {
              script: (await workerScriptUrl(CHECKPOINT_ENTRY)).href,
              intervalMs: checkpointer?.intervalMs ?? CHECKPOINT_INTERVAL_MS,
              passFrames: checkpointer?.passFrames ?? PASS_FRAMES,
              restartFrames: checkpointer?.restartFrames ?? RESTART_FRAMES,
            },
    };
    const worker = new Worker(await workerScriptUrl(writer), { workerData: data });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if ((m as { ready?: boolean }).ready) {
          worker.off("error", reject);
          resolve();
        }
      };
      worker.once("message", onMessage);
      worker.once("error", reject);
    });
    worker.on("message", (m: Reply[] | { closed: true }) => {
      if (!Array.isArray(m)) return;
      for (const r of m) {
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.result);
        else p.reject(r.kind === "erasure" ? new ErasureIncompleteError(r.error) : new StoreError(r.error));
      }
    });
    worker.on("error", (err) => this.failAll(err));
    worker.on("exit", () => this.failAll(new StoreError("the store's writer stopped")));
    this.reader = new SqliteReader(new Database(this.opts.path, { readonly: true, fileMustExist: true }));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker = null;
  }

  private call<T>(op: string, args: unknown[], weight = 1): Promise<T> {
    const worker = this.worker;
    if (!worker || this.closed) return Promise.reject(new StoreError("the store is closed"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // Arguments travel as one JSON string: cheaper for this (the busy) thread than a
      // structured clone of nested events, and the writer thread has time to parse it.
      this.outbox.push({ id, op, args: JSON.stringify(args), weight });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // One message per turn of the event loop, not per request: a message costs this
        // thread a fixed toll (serializing, waking the writer) beside its bytes. setImmediate
        // runs after the poll phase, so every request parsed in this turn joins.
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    const worker = this.worker;
    if (!worker) {
      const err = new StoreError("the store's writer stopped");
      for (const m of batch) {
        this.pending.get(m.id)?.reject(err);
        this.pending.delete(m.id);
      }
      return;
    }
    worker.postMessage(batch);
  };

  private get r(): SqliteReader {
    if (!this.reader || this.closed) throw new StoreError("the store is not open");
    return this.reader;
  }

  /** Reads run synchronously on this thread; any failure of the database is a StoreError. */
  private read<T>(fn: (r: SqliteReader) => T): Promise<T> {
    try {
      return Promise.resolve(fn(this.r));
    } catch (err) {
      return Promise.reject(
        err instanceof StoreError ? err : new StoreError(err instanceof Error ? err.message : String(err)),
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker) {
      await new Promise<void>((resolve) => {
        worker.on("message", (m: { closed?: boolean }) => {
          if (m.closed) resolve();
        });
        worker.on("exit", () => resolve());
        this.flush(); // what was called before close() is written before the writer stops
        worker.postMessage({ op: "close" });
      });
      await worker.terminate();
    }
    this.reader?.close();
    this.reader = null;
    this.monitoring.close();
    await this.reports.close();
  }

  ping(): Promise<void> {
    if (!this.worker) return Promise.reject(new StoreError("the store's writer is not running"));
    return this.read((r) => r.ping());
  }

  createWorkspace(input: NewWorkspace, keys: WorkspaceKeys, actions: ConversionAction[]): Promise<Workspace> {
    return this.call("createWorkspace", [input, keys, actions]);
  }
  listWorkspaces(): Promise<Workspace[]> {
    return this.read((r) => r.listWorkspaces());
  }
  getWorkspace(id: string): Promise<Workspace | null> {
    return this.read((r) => r.getWorkspace(id));
  }
  findWorkspaceByPublicKey(publicKey: string): Promise<Workspace | null> {
    return this.read((r) => r.workspaceWhere("public_key", publicKey));
  }
  findWorkspaceBySecretHash(hash: string): Promise<{ workspace: Workspace; secretKeyHash: string } | null> {
    return this.read((r) => {
      const row = r.workspaceRowWhere("secret_key_hash", hash);
      return row ? { workspace: rowToWorkspace(row), secretKeyHash: row.secret_key_hash } : null;
    });
  }
  updateWorkspace(id: string, patch: WorkspacePatch): Promise<Workspace | null> {
    return this.call("updateWorkspace", [id, patch]);
  }
  findWorkspaceByKey(kind: WorkspaceKeyKind, value: string, now: number): Promise<KeyMatch | null> {
    return this.read((r) => r.findWorkspaceByKey(kind, value, now));
  }
  rotateWorkspaceKey(
    workspaceId: string,
    kind: WorkspaceKeyKind,
    newValue: string,
    oldExpiresAt: number,
    now: number,
  ): Promise<Workspace | null> {
    return this.call("rotateWorkspaceKey", [workspaceId, kind, newValue, oldExpiresAt, now]);
  }
  listConversionActions(workspaceId: string): Promise<ConversionAction[]> {
    return this.read((r) => r.listConversionActions(workspaceId));
  }
  upsertConversionAction(workspaceId: string, action: ConversionAction): Promise<ConversionAction> {
    return this.call("upsertConversionAction", [workspaceId, action]);
  }

  commitEvents(items: CommitItem[], rollups: RollupDelta[]): Promise<CommitOutcome[]> {
    return this.call("commitEvents", [items, rollups], items.length);
  }
  commitTouches(
    workspaceId: string,
    touches: TouchInput[],
    receivedAt: number,
    rollups: RollupDelta[],
  ): Promise<TouchOutcome[]> {
    return this.call("commitTouches", [workspaceId, touches, receivedAt, rollups], touches.length);
  }
  addRollups(deltas: RollupDelta[]): Promise<void> {
    return this.call("addRollups", [deltas]);
  }

  createLink(link: Link): Promise<Link> {
    return this.call("createLink", [link]);
  }
  getLink(id: string): Promise<Link | null> {
    return this.read((r) => r.getLink(id));
  }

  listConversions(workspaceId: string, q: ConversionQuery): Promise<ConversionRow[]> {
    return this.read((r) => r.listConversions(workspaceId, q));
  }
  attributionReport(workspaceId: string, q: ReportQuery): Promise<ReportResult> {
    return this.reports.run("attribution", [workspaceId, q]);
  }
  qualityReadout(workspaceId: string, q: QualityQuery): Promise<QualityReadout> {
    return this.reports.run("quality", [workspaceId, q]);
  }
  metrics(workspaceId: string, from: number, to: number, bucket: Bucket): Promise<MetricsRow[]> {
    return this.read((r) => r.metrics(workspaceId, from, to, bucket));
  }
  listExperiments(workspaceId: string): Promise<ExperimentSummary[]> {
    return this.read((r) => listExperiments(r.db, workspaceId));
  }
  experimentCounts(workspaceId: string, q: ExperimentQuery): Promise<ExperimentCounts | null> {
    return this.reports.run("experimentCounts", [workspaceId, q]);
  }
  async reattribute(
    workspaceId: string | null,
    from: number,
    to: number,
    windowsOf: WindowsOf,
  ): Promise<number> {
    const windows = await windowsFor(this, workspaceId, windowsOf);
    return this.call("reattribute", [workspaceId, from, to, windows], 1000);
  }

  createDestination(d: DestinationRecord): Promise<DestinationRecord> {
    return this.call("createDestination", [d]);
  }
  listDestinations(workspaceId: string | null): Promise<DestinationRecord[]> {
    return this.read((r) => r.listDestinations(workspaceId));
  }
  getDestination(workspaceId: string, id: string): Promise<DestinationRecord | null> {
    return this.read((r) => r.getDestination(workspaceId, id));
  }
  deleteDestination(workspaceId: string, id: string): Promise<boolean> {
    return this.call("deleteDestination", [workspaceId, id]);
  }
  createDestinationWithinLimit(d: DestinationRecord, limit: number): Promise<DestinationRecord | null> {
    return this.call("createDestinationWithinLimit", [d, limit]);
  }
  getKeyCheck(): Promise<string | null> {
    return this.read((r) => r.getKeyCheck());
  }
  initKeyCheck(sealed: string, now: number): Promise<string> {
    return this.call("initKeyCheck", [sealed, now]);
  }
  sealedSamples(limit: number): Promise<string[]> {
    return this.read((r) => r.sealedSamples(limit));
  }
  setDestinationRoute(workspaceId: string, id: string, routeEvents: string[] | null): Promise<void> {
    return this.call("setDestinationRoute", [workspaceId, id, routeEvents]);
  }
  listArrivals(workspaceId: string, eventRef: string): Promise<ArrivalRow[]> {
    return this.read((r) => r.listArrivals(workspaceId, eventRef));
  }
  claimDeliveries(
    _workspaceId: string,
    destinationId: string,
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): Promise<DeliveryJob[]> {
    // The writer answers with the rows as read; the jobs (the stored events' JSON parsed) are
    // made here, off the writer thread, which the drain keeps busier than this one.
    // Weighed by its rows, like a settlement: a group of the writer holds a bounded number of them.
    return this.call<ClaimedEventRow[]>(
      "claimDeliveries",
      [destinationId, limit, now, leaseMs, owner],
      limit,
    ).then((rows) => rows.map((r) => deliveryJobOf(r, r.id === null ? null : r)));
  }
  completeDeliveries(_workspaceId: string, updates: DeliveryUpdate[], owner: string): Promise<void> {
    return this.call("completeDeliveries", [updates, owner], updates.length);
  }
  listDeliveries(
    workspaceId: string,
    destinationId: string,
    status: DeliveryStatus | null,
    limit: number,
  ): Promise<DeliveryRow[]> {
    return this.read((r) => r.listDeliveries(workspaceId, destinationId, status, limit));
  }
  replayDead(workspaceId: string, destinationId: string, now: number): Promise<number> {
    return this.call("replayDead", [workspaceId, destinationId, now]);
  }
  deliveryStats(workspaceId: string, since: number) {
    return this.read((r) => r.deliveryStats(workspaceId, since));
  }

  erase(workspaceId: string, identifiers: Identifier[]): Promise<number> {
    return this.call("erase", [workspaceId, identifiers]);
  }
  listErasures(workspaceId: string, limit: number): Promise<ErasureRecord[]> {
    return this.read((r) => r.listErasures(workspaceId, limit));
  }
  async purge(now: number, dedupBefore: number, ipBefore: number): Promise<void> {
    // Slice by slice, each its own writer operation that waits behind requests queued with it
    // (writer-queue.ts): a request waits for one slice at most, never for the whole purge.
    const slice = Math.max(1, Math.floor(this.opts.purgeSliceRows ?? PURGE_SLICE_ROWS));
    while (await this.call<boolean>("purge", [now, dedupBefore, ipBefore, slice])) {
      if (this.closed) return;
    }
  }

  createSession(s: Session): Promise<void> {
    return this.call("createSession", [s]);
  }
  getSession(idHash: string, now: number): Promise<Session | null> {
    return this.read((r) => r.getSession(idHash, now));
  }
  deleteSession(idHash: string): Promise<void> {
    return this.call("deleteSession", [idHash]);
  }
}

export type { WorkspaceRow };
