/**
 * The storage seam. Everything Tally keeps goes through `Store`; the SQLite backend
 * (`storage/sqlite`) and the PostgreSQL backend (`storage/postgres`) implement it, and one
 * contract suite (`storage/store.contract.test.ts`) runs against both.
 *
 * Writes that must be atomic with ingestion (dedup keys, identity links, touches, the event,
 * its attribution, its outbox rows, the rollups) happen in `commitEvents` / `commitTouches`:
 * a backend groups concurrent calls into one transaction and one sync (group commit) and runs
 * the commit core it was handed (commit/) against its `CommitTx` (commit/tx.ts, the seam)
 * inside it. A resolved promise means the data is durable.
 *
 * @example
 * const store = await openStore(config);            // open-store.ts
 * const ws = await store.createWorkspace({ name: "Shop", currency: "USD", timezone: "UTC" }, keys);
 * const outcomes = await store.commitEvents([event]); // [{ status: "accepted", id: "evt_…" }]
 */
import type { ModelName, GroupBy } from "../attribution/index.js";
import type { CommitItem, TouchOutcome, ArrivalRow } from "../commit/tx.js";
import type {
  CommitOutcome,
  CreditRow,
  Identifier,
  TouchInput,
  HashedUserData,
  Consent,
} from "../domain/event.js";
import type { ExperimentCounts, ExperimentQuery, ExperimentSummary } from "../experiments/types.js";
import type { RollupCounters, RollupDelta } from "../monitoring/rollups.js";
import type { ConversionAction, Workspace, ConsentDefault } from "../domain/workspace.js";
import type { MonitoringStore } from "./monitoring-store.js";
import type { SpendStore } from "./spend-store.js";
import type { QualityQuery, QualityReadout } from "./quality-rows.js";
import type { FlaggedConversions, QualityPatch } from "../quality/settings.js";
import type { RulesStore } from "./rules-store.js";
import type { AdjustmentPayload, AdjustmentRecord, ReconciliationStore } from "./reconciliation-store.js";

/**
 * A store that cannot do what was asked right now (closed, its writer stopped, a transaction
 * that failed to commit, the database unreachable). The HTTP layer answers 503 + Retry-After:
 * nothing was acknowledged, a retry is safe for events with an event_id or order_id.
 */
export class StoreError extends Error {
  readonly storeUnavailable = true;
}

/**
 * An erasure whose rows are scrubbed and committed, but whose bytes the store could not yet
 * confirm gone from its files (a reader kept the write-ahead log, a copy survived). Repeating
 * the same erasure finishes it; the node itself is fine.
 */
export class ErasureIncompleteError extends Error {}

/** One line of the erasure log: when, and how many identifiers — never which. */
export interface ErasureRecord {
  id: string;
  erasedAt: number;
  identifiers: number;
}

export interface NewWorkspace {
  name: string;
  currency: string;
  timezone: string;
}

export interface WorkspaceKeys {
  publicKey: string;
  /** sha256 hex of the secret key: the key itself is never stored. */
  secretKeyHash: string;
}

/** Which of a workspace's keys: the public key (stored as is) or the secret key (stored as its hash). */
export type WorkspaceKeyKind = "public" | "secret";

/**
 * A workspace found by one of its keys: the current one (`expiresAt` null), or one rotated out
 * and still within its grace period (`expiresAt`: unix ms after which it is refused).
 */
export interface KeyMatch {
  workspace: Workspace;
  /** The stored value that matched (public key, or secret key hash): the caller compares it in constant time. */
  stored: string;
  expiresAt: number | null;
}

export interface WorkspacePatch {
  name?: string;
  currency?: string;
  timezone?: string;
  defaultCountry?: string | null;
  allowedOrigins?: string[];
  consentDefault?: ConsentDefault;
  /** Traffic-quality thresholds (null: back to the default). */
  quality?: QualityPatch;
  flaggedConversions?: FlaggedConversions;
}

export interface Link {
  id: string;
  workspaceId: string;
  destinationUrl: string;
  platform: string;
  campaign: string;
  ad: string | null;
  createdAt: number;
}

export type { CreditRow, RollupCounters, RollupDelta };
export type {
  ArrivalRow,
  CommitItem,
  CommitTx,
  MaybePromise,
  StoredCopy,
  StoredTouch,
  TouchOutcome,
} from "../commit/tx.js";

export interface ConversionRow {
  id: string;
  eventName: string;
  eventTime: number;
  receivedAt: number;
  value: number | null;
  currency: string | null;
  touches: CreditRow[];
  /** The traffic-quality decision; null when none was made (rows stored before it existed). */
  quality: { score: number; flags: string[] } | null;
}

export interface ConversionQuery {
  from: number | null;
  to: number | null;
  limit: number;
  /** Opaque position from a previous page: (event_time, id) of its last row. */
  after: { eventTime: number; id: string } | null;
  model: ModelName;
}

export interface ReportQuery {
  from: number | null;
  to: number | null;
  model: ModelName;
  groupBy: GroupBy;
  currency: string;
  /** `flagged_conversions: "exclude"`: leave flagged conversions out. */
  excludeFlagged?: boolean;
}

export interface ReportResult {
  rows: { key: string; conversions: number; value: number }[];
  unattributed: { conversions: number; value: number };
  otherCurrencies: Record<string, { conversions: number; value: number }>;
}

export type Bucket = "minute" | "hour" | "day";

export interface MetricsRow extends RollupCounters {
  start: number;
  latency: number[];
  pipeline: number[];
}

export interface StoredEvent {
  id: string;
  workspaceId: string;
  eventName: string;
  eventTime: number;
  receivedAt: number;
  eventId: string | null;
  orderId: string | null;
  actionSource: string | null;
  eventSourceUrl: string | null;
  value: number | null;
  currency: string | null;
  user: HashedUserData;
  customData: Record<string, unknown>;
  consent: Consent | null;
  testEventCode: string | null;
}

export interface DestinationRecord {
  id: string;
  workspaceId: string;
  type: string;
  name: string;
  events: string[] | null;
  /** Encrypted JSON of the config (secrets included); decrypted only by destinations/. */
  configEnc: string;
  createdAt: number;
  /**
   * The event names it takes, for routing inside the commit (`events` narrowed by the config's
   * own event maps); null: every conversion action. Written with the record; a record that
   * omits it routes by `events`.
   */
  routeEvents?: string[] | null;
}

/** `skipped`: never sent, the platform has no way to take it (an adjustment to Meta); `last_error` says why. */
export type DeliveryStatus = "pending" | "delivered" | "failed" | "dead" | "skipped";

interface DeliveryJobBase {
  id: string;
  destinationId: string;
  attempts: number;
  createdAt: number;
}

/**
 * A claimed outbox row: an event (`kind: "event"`), a signal of a rule (`kind: "signal"`,
 * its JSON in `payload`, `ref` its id), or an adjustment of a conversion (`kind:
 * "adjustment"`: `payload` the adjustment, `ref` its id, `event` the conversion as stored now).
 */
export type DeliveryJob =
  | (DeliveryJobBase & { kind: "event"; event: StoredEvent })
  | (DeliveryJobBase & { kind: "signal"; ref: string; payload: unknown })
  | (DeliveryJobBase & {
      kind: "adjustment";
      ref: string;
      payload: AdjustmentPayload;
      event: StoredEvent | null;
    });

export interface DeliveryUpdate {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  dedupId: string;
}

export interface DeliveryRow {
  id: string; // Tally's event id
  deliveryId: string;
  eventId: string | null; // platform dedup id sent
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  createdAt: number;
}

export interface Session {
  idHash: string;
  csrfToken: string;
  expiresAt: number;
}

/** The windows a conversion action is (re)attributed with; null leaves its conversions as they are. */
export type WindowsOf = (
  workspaceId: string,
  eventName: string,
) => Promise<{ clickWindowDays: number; viewWindowDays: number } | null>;

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Series, alerts, rules, alert channels, the conversion ledger (storage/monitoring-store.ts). */
  readonly monitoring: MonitoringStore;
  /** Spend rows, spend sources, and the sums the performance report reads (spend-store.ts). */
  readonly spend: SpendStore;
  /** Rules, their cooldown fences, signals and budget bounds (rules-store.ts). */
  readonly rules: RulesStore;
  /** CRM orders, adjustments and the reconciliation report's sums (reconciliation-store.ts). */
  readonly reconciliation: ReconciliationStore;
  /**
   * A conversion's adjustments (retractions, restatements), oldest first: its history.
   *
   * @example
   * await store.adjustmentsOf(ws.id, "evt_…"); // [{ type: "restate", value: 70, previousValue: 100, … }]
   */
  adjustmentsOf(workspaceId: string, conversionId: string): Promise<AdjustmentRecord[]>;
  /** Applies migrations; safe to call from several nodes at once. */
  init(): Promise<void>;
  /** Finishes queued writes, then closes. */
  close(): Promise<void>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;

  createWorkspace(input: NewWorkspace, keys: WorkspaceKeys, actions: ConversionAction[]): Promise<Workspace>;
  listWorkspaces(): Promise<Workspace[]>;
  getWorkspace(id: string): Promise<Workspace | null>;
  findWorkspaceByPublicKey(publicKey: string): Promise<Workspace | null>;
  /** Looks up by the secret key's hash; the caller compares in constant time. */
  findWorkspaceBySecretHash(
    secretKeyHash: string,
  ): Promise<{ workspace: Workspace; secretKeyHash: string } | null>;
  updateWorkspace(id: string, patch: WorkspacePatch): Promise<Workspace | null>;
  /**
   * The workspace whose current key, or rotated-out key still valid at `now`, is `value` (the
   * public key itself, or the secret key's sha256 hex).
   *
   * @example
   * const m = await store.findWorkspaceByKey("secret", hashKey(key), Date.now());
   * if (m && constantTimeEqualHex(m.stored, hashKey(key))) use(m.workspace); // valid until m.expiresAt ?? forever
   */
  findWorkspaceByKey(kind: WorkspaceKeyKind, value: string, now: number): Promise<KeyMatch | null>;
  /**
   * Replaces a workspace's public key or secret key hash with `newValue`, in one transaction.
   * The replaced key keeps working until `oldExpiresAt`; keys rotated out earlier that would
   * outlive it are cut to `oldExpiresAt` too (a rotation never extends a grace). Null when the
   * workspace is unknown.
   */
  rotateWorkspaceKey(
    workspaceId: string,
    kind: WorkspaceKeyKind,
    newValue: string,
    oldExpiresAt: number,
    now: number,
  ): Promise<Workspace | null>;
  listConversionActions(workspaceId: string): Promise<ConversionAction[]>;
  upsertConversionAction(workspaceId: string, action: ConversionAction): Promise<ConversionAction>;

  /** Dedup → identify → attribute → persist (+ outbox, rollups), one transaction, durable on resolve. */
  commitEvents(items: CommitItem[], rollups: RollupDelta[]): Promise<CommitOutcome[]>;
  /** Records clicks/impressions (imports, links, PageViews), durable on resolve. */
  commitTouches(
    workspaceId: string,
    touches: TouchInput[],
    receivedAt: number,
    rollups: RollupDelta[],
  ): Promise<TouchOutcome[]>;
  /** Rollups that are not tied to a stored row (rejected events, latency), batched. */
  addRollups(deltas: RollupDelta[]): Promise<void>;

  createLink(link: Link): Promise<Link>;
  getLink(id: string): Promise<Link | null>;

  listConversions(workspaceId: string, q: ConversionQuery): Promise<ConversionRow[]>;
  attributionReport(workspaceId: string, q: ReportQuery): Promise<ReportResult>;
  /** The quality report's grouped rows (storage/quality-rows.ts); quality/report.ts sums them. */
  qualityReadout(workspaceId: string, q: QualityQuery): Promise<QualityReadout>;
  listExperiments(workspaceId: string): Promise<ExperimentSummary[]>;
  /** Per-variant counts of one experiment; null when no event ever joined it. */
  experimentCounts(workspaceId: string, q: ExperimentQuery): Promise<ExperimentCounts | null>;
  metrics(workspaceId: string, from: number, to: number, bucket: Bucket): Promise<MetricsRow[]>;
  /** Recomputes stored attribution of conversions with event_time in [from, to). Returns how many. */
  reattribute(workspaceId: string | null, from: number, to: number, windowsOf: WindowsOf): Promise<number>;

  createDestination(d: DestinationRecord): Promise<DestinationRecord>;
  listDestinations(workspaceId: string | null): Promise<DestinationRecord[]>;
  getDestination(workspaceId: string, id: string): Promise<DestinationRecord | null>;
  deleteDestination(workspaceId: string, id: string): Promise<boolean>;
  /**
   * Creates the destination unless its workspace already has `limit` of them (deleted ones
   * not counted): null then. Of two creations racing for the last place, one wins.
   *
   * @example
   * await store.createDestinationWithinLimit(record, 50); // the record, or null at the 51st
   */
  createDestinationWithinLimit(d: DestinationRecord, limit: number): Promise<DestinationRecord | null>;
  /** The encryption key check sealed at the store's first start (security/key-check.ts); null before. */
  getKeyCheck(): Promise<string | null>;
  /** Keeps `sealed` as the key check unless one is there already; returns the one kept. */
  initKeyCheck(sealed: string, now: number): Promise<string>;
  /** Up to `limit` sealed values already stored (destination configs, client IPs), to test a key on. */
  sealedSamples(limit: number): Promise<string[]>;
  /** Sets the event names a destination is routed (records stored before routes were kept). */
  setDestinationRoute(workspaceId: string, id: string, routeEvents: string[] | null): Promise<void>;
  /** Later copies of an event (duplicates), oldest first. */
  listArrivals(workspaceId: string, eventRef: string): Promise<ArrivalRow[]>;
  /**
   * Claims up to `limit` due deliveries of one destination under a lease owned by `owner`.
   * `workspaceId` is the destination's: PostgreSQL names it in every statement (one shard under
   * Citus); SQLite does not need it.
   */
  claimDeliveries(
    workspaceId: string,
    destinationId: string,
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): Promise<DeliveryJob[]>;
  /** Settles deliveries of one workspace claimed by `owner`. */
  completeDeliveries(workspaceId: string, updates: DeliveryUpdate[], owner: string): Promise<void>;
  listDeliveries(
    workspaceId: string,
    destinationId: string,
    status: DeliveryStatus | null,
    limit: number,
  ): Promise<DeliveryRow[]>;
  replayDead(workspaceId: string, destinationId: string, now: number): Promise<number>;
  deliveryStats(
    workspaceId: string,
    since: number,
  ): Promise<
    {
      destinationId: string;
      status: DeliveryStatus;
      count: number;
      latencies: number[];
      lastError: string | null;
    }[]
  >;

  /**
   * Erases the person named by any of `identifiers`: every identifier linked to them and the
   * links; their events keep name, time, value and credit but lose user data, identifiers,
   * click ids and `utm_*` (URL and custom_data); their touches lose click and touch ids and
   * their person. Logs the erasure (`listErasures`). Returns how many identifiers went.
   * SQLite resolves only once its files hold none of those bytes any more
   * (`ErasureIncompleteError` when that could not be confirmed: repeat it).
   *
   * @example
   * await store.erase(ws.id, [{ kind: "email", value: sha256Hex("jane@example.com") }]); // 3
   */
  erase(workspaceId: string, identifiers: Identifier[]): Promise<number>;
  /** The workspace's erasure log, newest first. */
  listErasures(workspaceId: string, limit: number): Promise<ErasureRecord[]>;
  /** Deletes expired dedup keys, encrypted IPs past retention, and expired sessions. */
  purge(now: number, dedupBefore: number, ipBefore: number): Promise<void>;

  createSession(s: Session): Promise<void>;
  getSession(idHash: string, now: number): Promise<Session | null>;
  deleteSession(idHash: string): Promise<void>;
}
