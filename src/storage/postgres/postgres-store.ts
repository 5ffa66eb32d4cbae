/**
 * The PostgreSQL store, for several Tally nodes sharing one database. Reads go straight to
 * the pool; ingest writes go through the group committer (one transaction and one WAL flush
 * for every request that arrived meanwhile); other writes run in their own transactions.
 *
 * Every method rejects promptly with an error carrying `storeUnavailable = true` while the
 * database cannot be reached (connect timeout 2 s), which the HTTP layer answers with 503 +
 * Retry-After; the pool opens fresh connections by itself once the database is back.
 *
 * @example
 * const store = new PostgresStore({ url: "postgres://tally@db/tally", dedupWindowMs: 7 * DAY_MS, maxGroupWeight: 500, core: commitCore });
 * await store.init(); // migrations, under an advisory lock: safe from every node at once
 */
import type pg from "pg";
import type { CommitOutcome, Identifier, TouchInput } from "../../domain/event.js";
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
import type { CommitCore } from "../../commit/tx.js";
import { findWorkspaceByKey as findKey, rotateWorkspaceKey as rotateKey } from "./workspace-keys.js";
import { classify, StoreUnavailableError } from "./errors.js";
import { GroupCommitter } from "./group-committer.js";
import { migrate } from "./migrate.js";
import { maintainEventPartitions, type PartitionUpkeep } from "./partitions.js";
import { getKeyCheck, initKeyCheck, sealedSamples } from "./pg-key-check.js";
import { qualityReadout } from "./quality-reads.js";
import type { QualityQuery, QualityReadout } from "../quality-rows.js";
import { createPool, type ConnectionOptions } from "./pool.js";
import { experimentCounts, listExperiments } from "./experiments.js";
import type { ExperimentCounts, ExperimentQuery, ExperimentSummary } from "../../experiments/types.js";
import { PgReader } from "./pg-reader.js";
import { PgWrites } from "./pg-writes.js";
import { PgMonitoringStore } from "./pg-monitoring.js";
import { windowsFor } from "../reattribute-windows.js";
import { rowToWorkspace } from "./rows.js";
import { PgSpendStore } from "./spend-store.js";
import { PgReconciliationStore } from "./reconciliation-store.js";
import type { AdjustmentRecord } from "../reconciliation-store.js";
import { PgRulesStore } from "./rules-store.js";

export interface PostgresStoreOptions extends ConnectionOptions {
  dedupWindowMs: number;
  /** Most events one group transaction takes. */
  maxGroupWeight: number;
  /** Told about connections that fail while idle in the pool (the pool replaces them). */
  onIdleError?: (err: Error) => void;
  /** The commit core its group commits run (commit/index.ts; open-store.ts wires it). */
  core: CommitCore;
  /** Months of events kept besides the current one (partitions.ts); 0 or absent keeps all. */
  retentionMonths?: number;
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly committer: GroupCommitter;
  private readonly r: PgReader;
  private readonly w: PgWrites;
  private closed = false;
  private readonly retentionMonths: number;
  readonly monitoring: PgMonitoringStore;
  readonly spend: PgSpendStore;
  readonly rules: PgRulesStore;
  readonly reconciliation: PgReconciliationStore;

  constructor(opts: PostgresStoreOptions) {
    this.pool = createPool(opts, opts.onIdleError ?? (() => {}));
    this.retentionMonths = opts.retentionMonths ?? 0;
    this.monitoring = new PgMonitoringStore(this.pool);
    this.committer = new GroupCommitter(this.pool, {
      dedupWindowMs: opts.dedupWindowMs,
      maxGroupWeight: opts.maxGroupWeight,
      core: opts.core,
    });
    this.r = new PgReader(this.pool);
    this.w = new PgWrites(this.pool, opts.core);
    this.spend = new PgSpendStore(this.pool, (f) => this.guard(f));
    this.rules = new PgRulesStore(this.pool, (f) => this.guard(f));
    this.reconciliation = new PgReconciliationStore(this.pool, (f) => this.guard(f));
  }

  /** Every call goes through here: infrastructure failures become `storeUnavailable`. */
  adjustmentsOf(workspaceId: string, conversionId: string): Promise<AdjustmentRecord[]> {
    return this.reconciliation.adjustmentsOf(workspaceId, conversionId);
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("the store is closed");
    try {
      return await f();
    } catch (err) {
      throw classify(err);
    }
  }

  init(): Promise<void> {
    return this.guard(async () => {
      await migrate(this.pool);
      await maintainEventPartitions(this.pool, Date.now(), this.retentionMonths);
    });
  }

  /** The monthly partitions of events made ahead, and retention applied (hourly, with the purge). */
  maintainPartitions(now: number): Promise<PartitionUpkeep> {
    return this.guard(() => maintainEventPartitions(this.pool, now, this.retentionMonths));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.committer.close();
    this.closed = true;
    await this.pool.end();
  }

  ping(): Promise<void> {
    return this.guard(() => this.r.ping());
  }

  createWorkspace(input: NewWorkspace, keys: WorkspaceKeys, actions: ConversionAction[]): Promise<Workspace> {
    return this.guard(() => this.w.createWorkspace(input, keys, actions));
  }
  listWorkspaces(): Promise<Workspace[]> {
    return this.guard(() => this.r.listWorkspaces());
  }
  getWorkspace(id: string): Promise<Workspace | null> {
    return this.guard(() => this.r.workspaceWhere("id", id));
  }
  findWorkspaceByPublicKey(publicKey: string): Promise<Workspace | null> {
    return this.guard(() => this.r.workspaceWhere("public_key", publicKey));
  }
  findWorkspaceBySecretHash(hash: string): Promise<{ workspace: Workspace; secretKeyHash: string } | null> {
    return this.guard(async () => {
      const row = await this.r.workspaceRowWhere("secret_key_hash", hash);
      return row ? { workspace: rowToWorkspace(row), secretKeyHash: row.secret_key_hash } : null;
    });
  }
  updateWorkspace(id: string, patch: WorkspacePatch): Promise<Workspace | null> {
    return this.guard(() => this.w.updateWorkspace(id, patch));
  }
  findWorkspaceByKey(kind: WorkspaceKeyKind, value: string, now: number): Promise<KeyMatch | null> {
    return this.guard(() => findKey(this.pool, kind, value, now));
  }
  rotateWorkspaceKey(
    workspaceId: string,
    kind: WorkspaceKeyKind,
    newValue: string,
    oldExpiresAt: number,
    now: number,
  ): Promise<Workspace | null> {
    return this.guard(() => rotateKey(this.pool, workspaceId, kind, newValue, oldExpiresAt, now));
  }
  listConversionActions(workspaceId: string): Promise<ConversionAction[]> {
    return this.guard(() => this.r.listConversionActions(workspaceId));
  }
  upsertConversionAction(workspaceId: string, action: ConversionAction): Promise<ConversionAction> {
    return this.guard(() => this.w.upsertConversionAction(workspaceId, action));
  }

  commitEvents(items: CommitItem[], rollups: RollupDelta[]): Promise<CommitOutcome[]> {
    return this.guard(() => this.committer.submit({ kind: "events", items, rollups }));
  }
  commitTouches(
    workspaceId: string,
    touches: TouchInput[],
    receivedAt: number,
    rollups: RollupDelta[],
  ): Promise<TouchOutcome[]> {
    return this.guard(() =>
      this.committer.submit({ kind: "touches", workspaceId, touches, receivedAt, rollups }),
    );
  }
  addRollups(deltas: RollupDelta[]): Promise<void> {
    return this.guard(() => this.committer.submit({ kind: "rollups", deltas }));
  }

  createLink(link: Link): Promise<Link> {
    return this.guard(() => this.w.createLink(link));
  }
  getLink(id: string): Promise<Link | null> {
    return this.guard(() => this.r.getLink(id));
  }

  listConversions(workspaceId: string, q: ConversionQuery): Promise<ConversionRow[]> {
    return this.guard(() => this.r.listConversions(workspaceId, q));
  }
  attributionReport(workspaceId: string, q: ReportQuery): Promise<ReportResult> {
    return this.guard(() => this.r.attributionReport(workspaceId, q));
  }
  qualityReadout(workspaceId: string, q: QualityQuery): Promise<QualityReadout> {
    return this.guard(() => qualityReadout(this.pool, workspaceId, q));
  }
  metrics(workspaceId: string, from: number, to: number, bucket: Bucket): Promise<MetricsRow[]> {
    return this.guard(() => this.r.metrics(workspaceId, from, to, bucket));
  }
  listExperiments(workspaceId: string): Promise<ExperimentSummary[]> {
    return this.guard(() => listExperiments(this.pool, workspaceId));
  }
  experimentCounts(workspaceId: string, q: ExperimentQuery): Promise<ExperimentCounts | null> {
    return this.guard(() => experimentCounts(this.pool, workspaceId, q));
  }
  reattribute(workspaceId: string | null, from: number, to: number, windowsOf: WindowsOf): Promise<number> {
    return this.guard(async () =>
      this.w.reattribute(workspaceId, from, to, await windowsFor(this.r, workspaceId, windowsOf)),
    );
  }

  createDestination(d: DestinationRecord): Promise<DestinationRecord> {
    return this.guard(() => this.w.createDestination(d));
  }
  listDestinations(workspaceId: string | null): Promise<DestinationRecord[]> {
    return this.guard(() => this.r.listDestinations(workspaceId));
  }
  getDestination(workspaceId: string, id: string): Promise<DestinationRecord | null> {
    return this.guard(() => this.r.getDestination(workspaceId, id));
  }
  deleteDestination(workspaceId: string, id: string): Promise<boolean> {
    return this.guard(() => this.w.deleteDestination(workspaceId, id));
  }
  createDestinationWithinLimit(d: DestinationRecord, limit: number): Promise<DestinationRecord | null> {
    return this.guard(() => this.w.createDestinationWithinLimit(d, limit));
  }
  getKeyCheck(): Promise<string | null> {
    return this.guard(() => getKeyCheck(this.pool));
  }
  initKeyCheck(sealed: string, now: number): Promise<string> {
    return this.guard(() => initKeyCheck(this.pool, sealed, now));
  }
  sealedSamples(limit: number): Promise<string[]> {
    return this.guard(() => sealedSamples(this.pool, limit));
  }
  setDestinationRoute(workspaceId: string, id: string, routeEvents: string[] | null): Promise<void> {
    return this.guard(() => this.w.setDestinationRoute(workspaceId, id, routeEvents));
  }
  listArrivals(workspaceId: string, eventRef: string): Promise<ArrivalRow[]> {
    return this.guard(() => this.r.listArrivals(workspaceId, eventRef));
  }
  claimDeliveries(
    workspaceId: string,
    destinationId: string,
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): Promise<DeliveryJob[]> {
    return this.guard(() => this.w.claimDeliveries(workspaceId, destinationId, limit, now, leaseMs, owner));
  }
  completeDeliveries(workspaceId: string, updates: DeliveryUpdate[], owner: string): Promise<void> {
    return this.guard(() => this.w.completeDeliveries(workspaceId, updates, owner));
  }
  listDeliveries(
    workspaceId: string,
    destinationId: string,
    status: DeliveryStatus | null,
    limit: number,
  ): Promise<DeliveryRow[]> {
    return this.guard(() => this.r.listDeliveries(workspaceId, destinationId, status, limit));
  }
  replayDead(workspaceId: string, destinationId: string, now: number): Promise<number> {
    return this.guard(() => this.w.replayDead(workspaceId, destinationId, now));
  }
  deliveryStats(workspaceId: string, since: number) {
    return this.guard(() => this.r.deliveryStats(workspaceId, since));
  }

  erase(workspaceId: string, identifiers: Identifier[]): Promise<number> {
    return this.guard(() => this.w.erase(workspaceId, identifiers));
  }
  listErasures(workspaceId: string, limit: number): Promise<ErasureRecord[]> {
    return this.guard(() => this.r.listErasures(workspaceId, limit));
  }
  purge(now: number, dedupBefore: number, ipBefore: number): Promise<void> {
    return this.guard(async () => {
      await this.w.purge(now, dedupBefore, ipBefore);
      await maintainEventPartitions(this.pool, now, this.retentionMonths);
    });
  }

  createSession(s: Session): Promise<void> {
    return this.guard(() => this.w.createSession(s));
  }
  getSession(idHash: string, now: number): Promise<Session | null> {
    return this.guard(() => this.r.getSession(idHash, now));
  }
  deleteSession(idHash: string): Promise<void> {
    return this.guard(() => this.w.deleteSession(idHash));
  }
}
