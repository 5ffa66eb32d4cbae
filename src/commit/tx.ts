/**
 * The seam between the commit core and the stores: types only. The core (`commit/`) drives a
 * transaction through `CommitTx` / `ReattributeTx`; each backend implements them over its own
 * connection (storage/sqlite/sqlite-commit-tx.ts, storage/postgres/pg-commit-tx.ts), and
 * `commit/memory-tx.ts` implements them with Maps for the steps' tests. A backend never
 * imports the core: its group commit is handed a `CommitCore` (main.ts and open-store.ts wire
 * it), so data flows core → tx → database, never storage → core → storage.
 */
import type { ModelName, Touch, Windows } from "../attribution/index.js";
import type { DestinationRoute } from "../domain/destination-route.js";
import type {
  CommitOutcome,
  CreditRow,
  EventSource,
  Identifier,
  NormalizedEvent,
  TouchInput,
} from "../domain/event.js";
import type { RollupAccumulator } from "../monitoring/rollups.js";
import type { CounterHit } from "../quality/counters.js";
import type { Quality } from "../quality/flags.js";

export type MaybePromise<T> = T | Promise<T>;

/** What linking an event's identifiers gave: its person, and the identifiers refused a link. */
export interface Linked {
  person: string | null;
  refused: number;
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

/** A touch as stored: what attribution reads. */
export type StoredTouch = Touch;

export interface TouchOutcome {
  status: "accepted" | "duplicate";
  id: string;
  /** A new click Tally saw itself (link, PageView): its quality decision. */
  quality?: Quality;
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

/** All five models' credits of one conversion. */
export type Credits = Record<ModelName, CreditRow[]>;

/**
 * The operations the commit core needs inside one transaction. SQLite answers synchronously,
 * PostgreSQL with promises; the in-memory one (commit/memory-tx.ts) synchronously.
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
  /**
   * Links the identifiers (transitively) within the merge limits (domain/identity-limits.ts):
   * the person they belong to (null for none) and how many of them the limits kept apart.
   */
  linkIdentifiers(workspaceId: string, identifiers: Identifier[]): MaybePromise<Linked>;
  /** The person's touches with time in [from, to], most recent first, at most `limit`. */
  touchesOf(
    workspaceId: string,
    person: string,
    from: number,
    to: number,
    limit: number,
  ): MaybePromise<StoredTouch[]>;
  /**
   * Inserts a touch unless its touch_id or click id is already known (a known click id that
   * belonged to no one is given `person`); returns the outcome.
   */
  insertTouch(
    workspaceId: string,
    touch: TouchInput,
    person: string | null,
    receivedAt: number,
  ): MaybePromise<TouchOutcome>;
  /**
   * Inserts the event, and its credits when given (`attributed` when last click has any). A
   * conversion keeps its person (moved when persons merge), which experiments join on.
   */
  insertEvent(
    event: NormalizedEvent,
    credits: Credits | null,
    source: EventSource,
    person: string | null,
  ): MaybePromise<void>;
  /**
   * Records that `person` was exposed to `variant` of `experiment` at `at`: the earlier
   * exposure per person and experiment wins (also when two persons merge later), and the
   * variant is listed with when it was first and last seen.
   */
  recordExposure(
    workspaceId: string,
    experiment: string,
    variant: string,
    person: string,
    at: number,
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
  ): MaybePromise<Credits>;
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
  /**
   * The quality counters (quality/counters.ts `QualityCounters.hit`), kept in the database and
   * changed in this transaction: on PostgreSQL each counter row is locked, so nodes sharing
   * the database count one flood together.
   */
  qualityHit(workspaceId: string, hits: readonly CounterHit[], at: number): MaybePromise<number[]>;
  /** Stores a flagged click's decision on its touch (clean clicks keep none: nothing to filter). */
  flagTouch(
    workspaceId: string,
    touchRef: string,
    quality: Quality,
    addressKey: string | null,
  ): MaybePromise<void>;
}

/** What dedup keys are made of. */
export type DedupKeyFields = Pick<NormalizedEvent, "eventName" | "eventId" | "orderId" | "testEventCode">;

export interface DedupKeys {
  /** Keys whose live owner makes the event a duplicate. */
  lookup: string[];
  /** Keys the event (or, for a duplicate, its original) owns afterwards. */
  claim: string[];
}

/** A stored conversion as reattribution reads it. */
export interface StoredConversion {
  id: string;
  workspaceId: string;
  eventName: string;
  eventTime: number;
  value: number | null;
  currency: string | null;
  /** The identifiers it was linked by, in the order it brought them. */
  identifiers: Identifier[];
  /** Its person was erased: it keeps the credit it had (its links are gone on purpose). */
  erased: boolean;
  /** Its quality decision has flags: its credits say so (reports may leave them out). */
  flagged?: boolean;
}

/** What `reattribute` needs inside one transaction. */
export interface ReattributeTx {
  /** Non-test conversions with event_time in [from, to), of one workspace or all. */
  conversionsIn(workspaceId: string | null, from: number, to: number): MaybePromise<StoredConversion[]>;
  /** The person of the first of `identifiers` still known; null when none is. */
  personOf(workspaceId: string, identifiers: Identifier[]): MaybePromise<string | null>;
  touchesOf: CommitTx["touchesOf"];
  /** Replaces the conversion's credits (and its `attributed` flag). */
  replaceCredits(conversion: StoredConversion, credits: Credits): MaybePromise<void>;
}

/** Windows of each workspace's conversion actions, by workspace id and action name. */
export type WindowsByWorkspace = Record<string, Record<string, Windows>>;

/** What a commit runs with besides the transaction. */
export interface CommitContext {
  /** The operation's rollups; the backend writes the group's once, before COMMIT. */
  rollups: RollupAccumulator;
  dedupWindowMs: number;
  /** The workspace currency: only values in it are summed into rollups. */
  currencyOf: (workspaceId: string) => string | null;
}

/**
 * The commit core as a backend is handed it (commit/index.ts is the implementation).
 *
 * @example
 * const store = new PostgresStore({ url, dedupWindowMs, maxGroupWeight, core: commitCore });
 */
export interface CommitCore {
  /** The dedup keys an event looks up and claims (PostgreSQL locks the lookups up front). */
  dedupKeys(event: DedupKeyFields): DedupKeys;
  commitEvents(tx: CommitTx, items: CommitItem[], ctx: CommitContext): Promise<CommitOutcome[]>;
  commitTouches(
    tx: CommitTx,
    workspaceId: string,
    touches: TouchInput[],
    receivedAt: number,
    ctx: Pick<CommitContext, "rollups">,
  ): Promise<TouchOutcome[]>;
  reattribute(
    tx: ReattributeTx,
    workspaceId: string | null,
    from: number,
    to: number,
    windows: WindowsByWorkspace,
  ): Promise<number>;
}
