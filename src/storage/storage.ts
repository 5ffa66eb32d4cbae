/**
 * The storage seam. Everything Tally keeps goes through `Store`; the SQLite backend
 * (`storage/sqlite`) and the PostgreSQL backend (`storage/postgres`) implement it, and one
 * contract suite (`storage/store.contract.test.ts`) runs against both.
 *
 * Writes that must be atomic with ingestion (dedup keys, identity links, touches, the event,
 * its attribution, its outbox rows, the rollups) happen in `commitEvents` / `commitTouches`,
 * which run the shared commit algorithm of `pipeline/commit.ts` against a backend's
 * `CommitTx` inside one transaction. Backends group concurrent calls into one transaction
 * and one sync (group commit); a resolved promise means the data is durable.
 *
 * @example
 * const store = await openStore(config);            // storage/open.ts
 * const ws = await store.createWorkspace({ name: "Shop", currency: "USD", timezone: "UTC" }, keys);
 * const outcomes = await store.commitEvents([event]); // [{ status: "accepted", id: "evt_…" }]
 */
import type { ModelName, GroupBy, Touch } from "../attribution/index.js";
import type {
  CommitOutcome,
  CreditRow,
  Identifier,
  NormalizedEvent,
  TouchInput,
  HashedUserData,
  Consent,
  EventSource,
} from "../domain/event.js";
import type { DestinationRoute } from "../domain/destination-route.js";
import type { ExperimentCounts, ExperimentQuery, ExperimentSummary } from "../experiments/types.js";
import type { ConversionAction, Workspace, ConsentDefault } from "../domain/workspace.js";

export type MaybePromise<T> = T | Promise<T>;

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
}

/** A touch as stored: what attribution reads. */
export type StoredTouch = Touch;

export interface TouchOutcome {
  status: "accepted" | "duplicate";
  id: string;
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

/** One event of an ingest batch, with what the commit needs beyond the event itself. */
export interface CommitItem {
  event: NormalizedEvent;
  /**
   * Windows of the conversion action; null for non-conversion events. A conversion gets an
   * outbox row for every destination the commit reads from the database in its transaction.
   */
  windows: { clickWindowDays: number; viewWindowDays: number } | null;
  /** How it arrived: the server copy of an event supersedes a browser (or pixel) copy. */
  source: EventSource;
}

/** What superseding needs to know of a stored event (`CommitTx.storedCopy`). */
export interface StoredCopy {
  /** How its first copy arrived; null for events stored before sources were recorded. */
  source: EventSource | null;
  /** When a server copy replaced its data; null if none has. */
  supersededAt: number | null;
  eventTime: number;
  receivedAt: number;
  eventId: string | null;
  value: number | null;
  currency: string | null;
  identifiers: Identifier[];
}

/** A later copy of a stored event (a duplicate), recorded apart: the event row is the accepted copy. */
export interface ArrivalRow {
  workspaceId: string;
  eventRef: string;
  source: EventSource;
  receivedAt: number;
  eventId: string | null;
  /** `superseding`: this server copy replaced a browser copy's data; `duplicate`: counted nowhere. */
  status: "duplicate" | "superseding";
}

export type { CreditRow };

export interface ConversionRow {
  id: string;
  eventName: string;
  eventTime: number;
  receivedAt: number;
  value: number | null;
  currency: string | null;
  touches: CreditRow[];
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
}

export interface ReportResult {
  rows: { key: string; conversions: number; value: number }[];
  unattributed: { conversions: number; value: number };
  otherCurrencies: Record<string, { conversions: number; value: number }>;
}

export type Bucket = "minute" | "hour" | "day";

/** Counters kept per workspace and minute (and hour), by arrival time. */
export interface RollupCounters {
  received: number;
  accepted: number;
  conversions: number;
  value: number;
  duplicates: number;
  rejected: number;
  clicks: number;
  impressions: number;
}

export interface RollupDelta extends Partial<RollupCounters> {
  workspaceId: string;
  minute: number; // ms, start of the minute
  latency?: number[]; // histogram bucket counts (monitoring/histogram.ts)
  pipeline?: number[];
}

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

export type DeliveryStatus = "pending" | "delivered" | "failed" | "dead";

export interface DeliveryJob {
  id: string;
  destinationId: string;
  attempts: number;
  createdAt: number;
  event: StoredEvent;
}

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

/**
 * The operations the shared commit algorithm (`pipeline/commit.ts`) needs inside one
 * transaction. SQLite answers synchronously, PostgreSQL with promises.
 */
export interface CommitTx {
  /** The first live dedup key among `keys` (received at or after `since`), with its event. */
  findDedup(workspaceId: string, keys: string[], since: number): MaybePromise<string | null>;
  /** Claims keys for `eventRef`; keys older than `since` are replaced. Existing live keys are kept. */
  claimDedup(
    workspaceId: string,
    keys: string[],
    eventRef: string,
    receivedAt: number,
    since: number,
  ): MaybePromise<void>;
  /** Links the identifiers (transitively) and returns the person they belong to (null for none). */
  linkIdentifiers(workspaceId: string, identifiers: Identifier[]): MaybePromise<string | null>;
  touchesOf(
    workspaceId: string,
    person: string,
    from: number,
    to: number,
    limit: number,
  ): MaybePromise<StoredTouch[]>;
  /** Inserts a touch unless its touch_id or click id is already known; returns the outcome. */
  insertTouch(
    workspaceId: string,
    touch: TouchInput,
    person: string | null,
    receivedAt: number,
  ): MaybePromise<TouchOutcome>;
  insertEvent(
    event: NormalizedEvent,
    credits: Record<ModelName, CreditRow[]> | null,
    source: EventSource,
  ): MaybePromise<void>;
  /**
   * The workspace's destinations (not deleted) as the database has them now, for routing an
   * event committed in this transaction; on several nodes, a destination created before the
   * transaction's read is seen, one created after waits for it (PostgreSQL: advisory lock).
   */
  destinationRoutes(workspaceId: string): MaybePromise<DestinationRoute[]>;
  /** The stored event's origin and data that a superseding copy changes; null when not found. */
  storedCopy(workspaceId: string, eventRef: string): MaybePromise<StoredCopy | null>;
  /**
   * Gives the stored event the server copy's data (value, currency, custom data, user data,
   * consent, action source, page URL, client IP; order id when it had none) and `identifiers`,
   * keeping its id, name, times and event id; sets its credits' value and currency. Returns its
   * stored credits (empty lists when it has none: unattributed, not a conversion, a test event).
   */
  supersedeEvent(
    eventRef: string,
    copy: NormalizedEvent,
    identifiers: Identifier[],
    supersededAt: number,
  ): MaybePromise<Record<ModelName, CreditRow[]>>;
  /**
   * Enqueues the event again for each destination that delivered it or is sending it right now
   * (leased), unless a delivery of it there is still waiting (that one sends the current row).
   * Returns the destination ids.
   */
  redeliver(workspaceId: string, eventRef: string, now: number): MaybePromise<string[]>;
  recordArrival(arrival: ArrivalRow): MaybePromise<void>;
  insertDeliveries(
    workspaceId: string,
    eventRef: string,
    destinationIds: string[],
    now: number,
  ): MaybePromise<void>;
  addRollups(deltas: RollupDelta[]): MaybePromise<void>;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
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
  listExperiments(workspaceId: string): Promise<ExperimentSummary[]>;
  /** Per-variant counts of one experiment; null when no event ever joined it. */
  experimentCounts(workspaceId: string, q: ExperimentQuery): Promise<ExperimentCounts | null>;
  metrics(workspaceId: string, from: number, to: number, bucket: Bucket): Promise<MetricsRow[]>;
  /** Recomputes stored attribution of conversions with event_time in [from, to). Returns how many. */
  reattribute(
    workspaceId: string | null,
    from: number,
    to: number,
    windowsOf: (
      workspaceId: string,
      eventName: string,
    ) => Promise<{ clickWindowDays: number; viewWindowDays: number } | null>,
  ): Promise<number>;

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
  /** Claims up to `limit` due deliveries of one destination under a lease owned by `owner`. */
  claimDeliveries(
    destinationId: string,
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): Promise<DeliveryJob[]>;
  completeDeliveries(updates: DeliveryUpdate[], owner: string): Promise<void>;
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
