/**
 * `CommitTx` and `ReattributeTx` on one PostgreSQL transaction client: what the commit core
 * (handed to the group committer, never imported) runs against inside a group commit
 * (group-committer.ts), and `reattribute` inside its own transaction (pg-writes.ts).
 *
 * Exactness across nodes comes from locks, taken before anything is read:
 * - dedup keys: `pg_advisory_xact_lock(hashtextextended(workspace|key))` on every lookup key,
 *   in hash order, so two nodes deciding whether the same event_id or order_id was seen take
 *   turns. The order-id rules share a key (`o|name|order`) between the two events that must
 *   meet, so those are serialized too (see `dedupKeys`). Held until COMMIT.
 * - identities: the `persons` row of every identity group an event touches is locked
 *   (`FOR UPDATE`, in id order) before its identifiers are trusted; relabelling a group and
 *   adding an identifier to it therefore never interleave between nodes. A new identifier
 *   two nodes add at once meets on the primary key; the later transaction sees it was beaten
 *   (`ON CONFLICT DO NOTHING` inserted fewer rows) and its group runs again, reading it.
 * - destinations: `pg_advisory_xact_lock_shared` on each routed workspace's destinations lock
 *   (destination-lock.ts), taken before any other lock of the group and before the
 *   destinations are read, so outbox rows follow what the database holds, never a node's cache.
 * - superseding: the stored event is read `FOR UPDATE`, so two server copies that reach it
 *   through different keys take turns, and only the first supersedes.
 * With every lookup key locked, what this transaction read stays true until it commits, so
 * lookups are answered from memory after one prefetch per group. Rows nothing reads back in
 * the same transaction (events, credits, outbox rows, claimed keys, new identifiers) are
 * buffered and written as multi-row inserts at the end of each operation, so an event of a
 * new person costs no round trip of its own.
 *
 * State changed by an operation is journalled so a failed operation (rolled back to its
 * SAVEPOINT) leaves the in-memory view as the database is.
 */
import { recordExposure, relabelExperiments } from "./experiments.js";
import type pg from "pg";
import type { ModelName } from "../../attribution/index.js";
import type {
  ArrivalRow,
  CommitTx,
  Credits,
  Linked,
  ReattributeTx,
  StoredConversion,
  StoredCopy,
  StoredTouch,
  TouchOutcome,
} from "../../commit/tx.js";
import { routeFromRow, type DestinationRoute } from "../../domain/destination-route.js";
import type { CreditRow, EventSource, Identifier, NormalizedEvent, TouchInput } from "../../domain/event.js";
import { newId } from "../../domain/ids.js";
import { planLinks, rankedIdents, type IdentSeen, type PersonFacts } from "../../domain/identity-limits.js";
import { RollupAccumulator } from "../../monitoring/rollups.js";
import { creditInserts, type CreditInsert } from "../conversion-rows.js";
import {
  CreditRollupAccumulator,
  deltaOfRow,
  deltasOfInserts,
  type CreditDelta,
  type StoredCreditRow,
} from "../credit-rollup.js";
import { writeCreditRollup } from "./credit-rollup.js";
import { readByEventId } from "./partitions.js";
import {
  CONVERSION_COLUMNS,
  payloadOf,
  STORED_COPY_COLUMNS,
  storedConversionFromRow,
  storedCopyFromRow,
  type ConversionRow,
  type StoredCopyRow,
} from "../event-row.js";
import {
  insertArrivals,
  insertCredits,
  insertDeliveries,
  insertEvents,
  type ArrivalInsert,
  type DeliveryInsert,
  type EventInsert,
} from "./bulk-inserts.js";
import { destinationsLockKey } from "./destination-lock.js";
import { commitTime, slide, type CounterHit, type CounterSpace } from "../../quality/counters.js";
import type { Quality } from "../../quality/flags.js";
import { flagMask, shortAddressKey } from "../../quality/input.js";
import { RetryGroupError } from "./errors.js";

const EMPTY = { rows: [], rowCount: 0, command: "", oid: 0, fields: [] } as unknown as pg.QueryResult;
/** What the identities insert's check says when another node added one of them meanwhile. */
const IDENT_CONFLICT = "tally: identities added meanwhile, rows inserted:";
/** Touches of one person the prefetch reads at most; a person with more is read per conversion. */
const TOUCH_PREFETCH_CAP = 256;

interface IdentRead {
  want: string[];
  rows: { ident: string; person: string }[];
}

interface DedupRow {
  eventRef: string;
  receivedAt: number;
}

const k = (ws: string, x: string): string => `${ws}|${x}`;

function identConflict(err: unknown): boolean {
  return (
    (err as { code?: string }).code === "22P02" && String((err as Error).message).includes(IDENT_CONFLICT)
  );
}

export class PgCommitTx implements CommitTx, ReattributeTx {
  /** Dedup keys locked by this transaction → the live row (null: none). Only locked keys are here. */
  private readonly dedup = new Map<string, DedupRow | null>();
  /** workspace|ident → person, for identifiers whose person this transaction has locked or created. */
  private readonly idents = new Map<string, string>();
  /** Identifiers seen absent; trusted only until an insert says otherwise. */
  private readonly absent = new Set<string>();
  private readonly lockedPersons = new Set<string>();
  /** workspace|event → the `received_at` of a stored copy `storedCopy` read: its partition. */
  private readonly storedReceivedAt = new Map<string, number>();
  /** workspace|person → what the identity limits need of it, for persons locked or made here. */
  private readonly facts = new Map<string, PersonFacts>();
  /** Persons created by this transaction that no touch belongs to yet: nothing to attribute. */
  private readonly fresh = new Set<string>();
  /** Persons this transaction made: no other transaction knows their counters yet. */
  private readonly created = new Set<string>();
  private undo: (() => void)[] = [];
  /** Routed workspaces (their destinations lock held shared) → their destinations. */
  private readonly routes = new Map<string, DestinationRoute[]>();

  private claims = new Map<string, [string, string, string, number]>();
  private pendingPersons: [string, string][] = [];
  private pendingIdents = new Map<string, [string, string, string]>();
  private events: EventInsert[] = [];
  private credits: { ev: NormalizedEvent; credits: Credits; rows: CreditInsert[] }[] = [];
  /** The credit rollup's deltas of the current operation, and of the operations released (storage/credit-rollup.ts). */
  private creditOp = new CreditRollupAccumulator();
  private readonly creditGroup = new CreditRollupAccumulator();
  private deliveries: DeliveryInsert[] = [];
  private arrivals: ArrivalInsert[] = [];
  /** Rollups of the current operation; the committer takes them when the operation succeeds. */
  rollups = new RollupAccumulator();
  /** workspace|space|key → the times of a quality counter whose row this transaction locked. */
  private counters = new Map<string, number[]>();
  private dirtyCounters = new Map<string, [string, CounterSpace, string]>();
  private touchFlags: [string, string, number, number, string | null][] = [];
  /**
   * Statements sent and not yet answered (pipeline mode, pool.ts): writes nothing reads back
   * go out without waiting, so a group's writes and its COMMIT share one round trip.
   */
  private inflight: Promise<void>[] = [];
  /** The first statement of the transaction that failed (those after it fail as aborted). */
  private failure: { err: unknown } | null = null;
  /**
   * Touches of persons locked by the group prefetch with time in [from, to] (workspace|person →
   * most recent first), kept while complete: answers `touchesOf` without a round trip.
   */
  private touchCache = new Map<string, StoredTouch[]>();
  private touchSpan = new Map<string, [number, number]>();

  constructor(
    private readonly client: pg.ClientBase,
    private readonly dedupWindowMs: number,
  ) {}

  // ---- pipelining -------------------------------------------------------------------------

  /**
   * Sends a statement whose result nothing waits for, behind every statement sent before it
   * on this connection; its failure surfaces at the next `settle` or `read`. `check` may
   * throw on its result (it runs before anything later is answered, never after a COMMIT the
   * caller sent after it: use SQL for what must stop a COMMIT).
   */
  send(sql: string, params?: unknown[], check?: (r: pg.QueryResult) => void): void {
    const p = this.client.query(sql, params).then(
      (r) => {
        try {
          check?.(r);
        } catch (err) {
          this.failure ??= { err };
        }
      },
      (err: unknown) => {
        this.failure ??= {
          err: identConflict(err) ? new RetryGroupError(IDENT_CONFLICT, { cause: err }) : err,
        };
      },
    );
    this.inflight.push(p);
  }

  /** Waits for every statement sent; throws the first failure of the transaction. */
  async settle(): Promise<void> {
    if (this.inflight.length > 0) {
      const all = this.inflight;
      this.inflight = [];
      await Promise.all(all);
    }
    if (this.failure) throw this.failure.err;
  }

  /** A statement whose rows are needed now; a failure of something sent before it wins. */
  private async read<R extends pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.client.query<R>(sql, params);
    } catch (err) {
      await this.settle(); // throws the root cause when this read failed as "transaction aborted"
      throw err;
    }
  }

  /** A `query` that sends (for helpers that only write: rollups, experiments); answers no rows. */
  readonly sink = {
    query: (sql: string, params?: unknown[]): Promise<pg.QueryResult> => {
      this.send(sql, params);
      return Promise.resolve(EMPTY);
    },
  } as unknown as pg.ClientBase;

  // ---- group prefetch --------------------------------------------------------------------

  /**
   * Everything a group looks up, locked and read in two round trips (one more per round of
   * identity groups that changed while being locked): destinations locks, dedup key locks,
   * then — each in its own statement, so its snapshot follows the locks — the dedup rows,
   * the identifiers' persons, the quality counters (made and locked), the currencies and
   * routes; then the persons found are locked, re-read, and their recent touches read.
   */
  async prefetch(p: {
    routed: string[];
    workspaces: string[];
    dedup: [string, string][];
    idents: Map<string, string[]>;
    counters: [string, CounterSpace, string][];
    /** workspace → [from, to]: the touch times the group's conversions can reach. */
    touchSpans: Map<string, [number, number]>;
  }): Promise<Map<string, string>> {
    const routed = [...new Set(p.routed)].sort();
    this.lockRoutes(routed);
    const dedup = this.startDedup(p.dedup);
    const wss = [...p.idents.keys()].sort();
    const idents = wss.map((ws) => this.startIdents(ws, p.idents.get(ws)!));
    const counters = this.startCounters(p.counters);
    const currencies = this.startRoutes(p.workspaces, new Set(routed));
    // One Promise.all: a failure of one read never leaves another's rejection unhandled.
    const [, found, , out] = await Promise.all([dedup, Promise.all(idents), counters, currencies]);
    await Promise.all(wss.map((ws, i) => this.lockPersons(ws, found[i]!, p.touchSpans.get(ws) ?? null)));
    await this.settle();
    return out;
  }

  /** Locks and reads the given dedup keys (sorted lock order; the read in a statement of its own). */
  async loadDedup(pairs: [string, string][]): Promise<void> {
    await this.startDedup(pairs);
  }

  private startDedup(pairs: [string, string][]): Promise<void> {
    const want = new Map<string, [string, string]>();
    for (const [ws, key] of pairs) if (!this.dedup.has(k(ws, key))) want.set(k(ws, key), [ws, key]);
    if (want.size === 0) return Promise.resolve();
    this.flushClaims(); // our own pending claims must be visible to the read (sent before it)
    const full = [...want.keys()];
    this.send(
      `SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT DISTINCT hashtextextended(x, 0) AS h FROM unnest($1::text[]) AS x ORDER BY 1) s`,
      [full],
    );
    const rows = this.read<{ workspace_id: string; key: string; event_ref: string; received_at: number }>(
      `SELECT d.workspace_id, d.key, d.event_ref, d.received_at FROM dedup_keys d
       JOIN unnest($1::text[], $2::text[]) AS t(ws, key) ON d.workspace_id = t.ws AND d.key = t.key`,
      [[...want.values()].map((p) => p[0]), [...want.values()].map((p) => p[1])],
    );
    return rows.then((r) => {
      for (const f of full) this.remember(this.dedup, f, null);
      for (const x of r.rows)
        this.dedup.set(k(x.workspace_id, x.key), { eventRef: x.event_ref, receivedAt: x.received_at });
    });
  }

  /** Reads identifiers' persons and locks those persons (re-reading until stable). */
  async loadIdents(ws: string, idents: string[]): Promise<void> {
    await this.lockPersons(ws, await this.startIdents(ws, idents), null);
  }

  private identsRead(ws: string, want: string[]): Promise<pg.QueryResult<{ ident: string; person: string }>> {
    return this.read<{ ident: string; person: string }>(
      "SELECT ident, person FROM identities WHERE workspace_id = $1 AND ident = ANY($2::text[])",
      [ws, want],
    );
  }

  private async startIdents(ws: string, idents: string[]): Promise<IdentRead> {
    const want = [...new Set(idents)].filter((i) => !this.idents.has(k(ws, i)) && !this.absent.has(k(ws, i)));
    if (want.length === 0) return { want, rows: [] };
    return { want, rows: (await this.identsRead(ws, want)).rows };
  }

  /**
   * Locks the persons `read` found (in id order) and reads again, until no identifier moved
   * to a person not locked yet; with `touches`, reads the locked persons' touches in that
   * time span in the same round trip.
   */
  private async lockPersons(ws: string, read: IdentRead, touches: [number, number] | null): Promise<void> {
    const { want } = read;
    if (want.length === 0) return;
    let rows = read.rows;
    for (let pass = 0; ; pass++) {
      const need = [...new Set(rows.map((r) => r.person))]
        .filter((p) => !this.lockedPersons.has(k(ws, p)))
        .sort();
      if (need.length === 0) break;
      if (pass > 20) throw new Error("identity groups kept changing while being locked");
      this.send(
        "SELECT count(*) FROM (SELECT id FROM persons WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE) s",
        [ws, need],
      );
      for (const p of need) this.remember(this.lockedPersons, k(ws, p));
      // A group merged away meanwhile shows its new person now.
      const [again] = await Promise.all([
        this.identsRead(ws, want),
        touches ? this.startTouches(ws, need, touches) : undefined,
        this.startPersonCounters(ws, need),
        this.startFacts(ws, need),
      ]);
      rows = again.rows;
    }
    const found = new Set<string>();
    for (const r of rows) {
      found.add(r.ident);
      this.setIdent(k(ws, r.ident), r.person);
    }
    for (const i of want) if (!found.has(i)) this.remember(this.absent, k(ws, i));
  }

  /**
   * Reads (after their locks) the `conversions_per_identity` counters of `persons`: the
   * person's row lock serializes them between transactions, so no lock of their own; a
   * counter not there yet is made by the upsert at flush.
   */
  private async startPersonCounters(ws: string, persons: string[]): Promise<void> {
    const space: CounterSpace = "conversions_per_identity";
    // One index probe per person on the whole key. `key = ANY(…)` reads the same rows, but on a
    // table not yet analyzed (a new node's first minutes) the planner applied it as a filter
    // over every counter of the workspace: 50–80 ms per read at 50k persons.
    const r = await this.read<{ key: string; times: number[] }>(
      `SELECT c.key, c.times FROM unnest($3::text[]) AS t(k) CROSS JOIN LATERAL (
         SELECT key, times FROM quality_counters WHERE workspace_id = $1 AND space = $2 AND key = t.k OFFSET 0) c`,
      [ws, space, persons],
    );
    const found = new Map(r.rows.map((x) => [x.key, x.times.map(Number)]));
    for (const p of persons) {
      const id = `${ws}|${space}|${p}`;
      if (!this.counters.has(id)) this.counters.set(id, found.get(p) ?? []);
    }
  }

  /** Reads (after their locks) the touches of `persons` in [from, to]; complete lists are kept. */
  private async startTouches(ws: string, persons: string[], [from, to]: [number, number]): Promise<void> {
    const r = await this.read<StoredTouch & { person: string }>(
      `SELECT person, id, kind, time, seq, platform, campaign, ad FROM (
         SELECT t.person, t.id, t.kind, t.time, t.seq, t.platform, t.campaign, t.ad,
           row_number() OVER (PARTITION BY t.person ORDER BY t.time DESC, t.seq DESC) AS n
         FROM touches t WHERE t.workspace_id = $1 AND t.person = ANY($2::text[]) AND t.time >= $3 AND t.time <= $4) s
       WHERE n <= $5 ORDER BY person, time DESC, seq DESC`,
      [ws, persons, from, to, TOUCH_PREFETCH_CAP],
    );
    const by = new Map<string, StoredTouch[]>(persons.map((p) => [p, []]));
    for (const { person, ...t } of r.rows) by.get(person)?.push(t);
    for (const [p, list] of by) {
      if (list.length >= TOUCH_PREFETCH_CAP) continue; // maybe more: read per conversion
      this.touchCache.set(k(ws, p), list);
      this.touchSpan.set(k(ws, p), [from, to]);
    }
  }

  /**
   * Takes the destinations locks of `workspaces` shared, in a stable order. The group takes
   * them before any other lock, so a creation waiting for one never sits between two groups'
   * locks; the destinations are then read by `readRoutes`, in a statement whose snapshot
   * follows the locks.
   */
  lockRoutes(workspaces: string[]): void {
    const want = [...new Set(workspaces)].filter((w) => !this.routes.has(w)).sort();
    if (want.length === 0) return;
    this.send(
      `SELECT count(pg_advisory_xact_lock_shared(h)) FROM (SELECT DISTINCT ${destinationsLockKey("x")} AS h FROM unnest($1::text[]) AS x ORDER BY 1) s`,
      [want],
    );
  }

  /** Currencies of `workspaces`, and the destinations of those in `routed` (locked by the caller). */
  readRoutes(workspaces: string[], routed: ReadonlySet<string>): Promise<Map<string, string>> {
    return this.startRoutes(workspaces, routed);
  }

  private async startRoutes(workspaces: string[], routed: ReadonlySet<string>): Promise<Map<string, string>> {
    if (workspaces.length === 0) return new Map();
    const r = await this.read<{
      id: string;
      currency: string;
      routes: [string, string, string[] | null][] | null;
    }>(
      `SELECT w.id, w.currency, CASE WHEN w.id = ANY($2::text[]) THEN (
         SELECT json_agg(json_build_array(d.id, d.type, d.route_events) ORDER BY d.created_at, d.id)
         FROM destinations d WHERE d.workspace_id = w.id AND NOT d.deleted) END AS routes
       FROM workspaces w WHERE w.id = ANY($1::text[])`,
      [[...new Set(workspaces)], [...routed]],
    );
    for (const w of routed) this.routes.set(w, []);
    for (const row of r.rows)
      if (routed.has(row.id))
        this.routes.set(
          row.id,
          (row.routes ?? []).map(([id, type, events]) => routeFromRow(id, type, events)),
        );
    return new Map(r.rows.map((w) => [w.id, w.currency]));
  }

  /**
   * Locks the quality counters' rows (made first when missing, so two nodes' first hits meet
   * on one row) in key order and reads them. Held until COMMIT: a node counting on a key waits
   * for the other's transaction, so a flood split across nodes is counted as one.
   */
  async loadCounters(triples: [string, CounterSpace, string][]): Promise<void> {
    await this.startCounters(triples);
  }

  private startCounters(triples: [string, CounterSpace, string][]): Promise<void> {
    const want = new Map<string, [string, CounterSpace, string]>();
    for (const t of triples) {
      const id = `${t[0]}|${t[1]}|${t[2]}`;
      if (!this.counters.has(id)) want.set(id, t);
    }
    if (want.size === 0) return Promise.resolve();
    const rows = [...want.values()].sort((a, b) =>
      a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[2] < b[2] ? -1 : 1,
    );
    const cols = [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])];
    this.send(
      `INSERT INTO quality_counters (workspace_id, space, key, times, last_at)
       SELECT w, s, k, '{}', 0 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(w, s, k) ORDER BY w, s, k
       ON CONFLICT DO NOTHING`,
      cols,
    );
    return this.read<{ workspace_id: string; space: string; key: string; times: number[] }>(
      `SELECT c.workspace_id, c.space, c.key, c.times FROM quality_counters c
       JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(w, s, k) ON c.workspace_id = t.w AND c.space = t.s AND c.key = t.k
       ORDER BY c.workspace_id, c.space, c.key FOR UPDATE OF c`,
      cols,
    ).then((r) => {
      for (const row of r.rows)
        this.counters.set(`${row.workspace_id}|${row.space}|${row.key}`, row.times.map(Number));
    });
  }

  async qualityHit(workspaceId: string, hits: readonly CounterHit[], at: number): Promise<number[]> {
    for (const h of hits) {
      const id = `${workspaceId}|${h.space}|${h.key}`;
      // A person made here has no counter anywhere yet (its id is new): nothing to read or lock.
      if (
        h.space === "conversions_per_identity" &&
        !this.counters.has(id) &&
        this.created.has(k(workspaceId, h.key))
      )
        this.counters.set(id, []);
    }
    await this.loadCounters(hits.map((h) => [workspaceId, h.space, h.key]));
    return hits.map((h) => {
      const id = `${workspaceId}|${h.space}|${h.key}`;
      const times = this.counters.get(id) ?? [];
      this.counters.set(id, times);
      this.dirtyCounters.set(id, [workspaceId, h.space, h.key]);
      return slide(times, commitTime(times, at), h.windowMs, Math.max(1, h.cap));
    });
  }

  flagTouch(workspaceId: string, touchRef: string, quality: Quality, addressKey: string | null): void {
    this.touchFlags.push([
      workspaceId,
      touchRef,
      quality.score,
      flagMask(quality.flags),
      shortAddressKey(addressKey),
    ]);
  }

  // ---- CommitTx ---------------------------------------------------------------------------

  async destinationRoutes(workspaceId: string): Promise<DestinationRoute[]> {
    if (!this.routes.has(workspaceId)) {
      // Not prefetched (the group prefetch covers every routed workspace): lock and read now.
      this.lockRoutes([workspaceId]);
      await this.readRoutes([workspaceId], new Set([workspaceId]));
    }
    return this.routes.get(workspaceId) ?? [];
  }

  async storedCopy(workspaceId: string, eventRef: string): Promise<StoredCopy | null> {
    // The original may be a row this group has not written yet.
    if (this.events.some((e) => e.event.id === eventRef)) await this.sendFlush();
    const byId = `SELECT ${STORED_COPY_COLUMNS} FROM events WHERE workspace_id = $1 AND id = $2`;
    const row = await readByEventId(
      eventRef,
      async (at) =>
        (
          await this.read<StoredCopyRow>(
            at === null ? `${byId} FOR UPDATE` : `${byId} AND received_at = $3 FOR UPDATE`,
            at === null ? [workspaceId, eventRef] : [workspaceId, eventRef, at],
          )
        ).rows[0],
    );
    if (!row) return null;
    const copy = storedCopyFromRow(row);
    this.storedReceivedAt.set(k(workspaceId, eventRef), copy.receivedAt);
    return copy;
  }

  async supersedeEvent(
    eventRef: string,
    copy: NormalizedEvent,
    identifiers: Identifier[],
    supersededAt: number,
  ): Promise<Credits> {
    // Its partition, from storedCopy (the commit core always reads the stored copy first).
    const at = this.storedReceivedAt.get(k(copy.workspaceId, eventRef));
    const pruned = at === undefined ? "" : " AND received_at = $9";
    // storedCopy wrote the event (and its credits) if this group had buffered it.
    // `old` reads the credits as they were (every part of the statement sees the same
    // snapshot): the rollup takes their value away and adds the new one.
    const r = await this.read<
      CreditRow & StoredCreditRow & { ord: number; old_value: number | null; old_currency: string | null }
    >(
      `WITH old AS (SELECT model, ord, value, currency FROM credits WHERE workspace_id = $8 AND event_ref = $7),
       e AS (
         UPDATE events SET value = $1, currency = $2, payload = $3, ip_enc = $4, order_id = COALESCE(order_id, $5),
           superseded_at = $6 WHERE workspace_id = $8 AND id = $7${pruned} RETURNING id, workspace_id)
       UPDATE credits c SET value = $1, currency = $2 FROM e, old o
       WHERE c.workspace_id = e.workspace_id AND c.event_ref = e.id AND o.model = c.model AND o.ord = c.ord
       RETURNING c.workspace_id, c.model, c.ord, c.event_time, c.platform, c.campaign, c.ad, c.touch_time AS time,
         c.credit, c.value, c.currency, c.flagged, o.value AS old_value, o.currency AS old_currency`,
      [
        copy.value,
        copy.currency,
        payloadOf(copy, identifiers),
        copy.user.client_ip_enc ?? null,
        copy.orderId,
        supersededAt,
        eventRef,
        copy.workspaceId,
        ...(pruned ? [at] : []),
      ],
    );
    const out: Credits = { last_click: [], first_click: [], linear: [], time_decay: [], position_based: [] };
    for (const row of [...r.rows].sort((a, b) => a.ord - b.ord)) {
      this.creditOp.add(deltaOfRow({ ...row, value: row.old_value, currency: row.old_currency }, -1));
      this.creditOp.add(deltaOfRow(row, 1));
      out[row.model as ModelName].push({
        platform: row.platform,
        campaign: row.campaign,
        ad: row.ad,
        time: row.time,
        credit: row.credit,
      });
    }
    return out;
  }

  async redeliver(workspaceId: string, eventRef: string, now: number): Promise<string[]> {
    await this.flushDeliveries();
    const r = await this.read<{ destination_id: string }>(
      `SELECT d.destination_id FROM deliveries d
         JOIN destinations t ON t.id = d.destination_id AND t.workspace_id = d.workspace_id AND NOT t.deleted
       WHERE d.workspace_id = $3 AND d.event_ref = $1 AND d.kind = 'event' GROUP BY d.destination_id
       HAVING bool_or(d.status = 'delivered' OR (d.status = 'pending' AND d.lease_until > $2))
          AND NOT bool_or(d.status = 'pending' AND d.lease_until <= $2)`,
      [eventRef, now, workspaceId],
    );
    const ids = r.rows.map((x) => x.destination_id);
    this.insertDeliveries(workspaceId, eventRef, ids, now);
    return ids;
  }

  recordArrival(a: ArrivalRow): void {
    this.arrivals.push([a.workspaceId, a.eventRef, a.source, a.receivedAt, a.eventId, a.status]);
  }

  async findDedup(workspaceId: string, keys: string[], since: number): Promise<string | null> {
    await this.loadDedup(keys.map((key) => [workspaceId, key]));
    for (const key of keys) {
      const row = this.dedup.get(k(workspaceId, key));
      if (row && row.receivedAt >= since) return row.eventRef;
    }
    return null;
  }

  claimDedup(workspaceId: string, keys: string[], eventRef: string, receivedAt: number, since: number): void {
    for (const key of keys) {
      const full = k(workspaceId, key);
      if (this.dedup.has(full)) {
        const row = this.dedup.get(full);
        if (row && row.receivedAt >= since) continue; // a live key is kept
        this.setDedup(full, { eventRef, receivedAt });
      }
      // A key not locked here (an order id claimed beside an event_id) is decided by the
      // upsert's own rule, the same one: only a key older than the window is replaced.
      if (!this.claims.has(full)) this.claims.set(full, [workspaceId, key, eventRef, receivedAt]);
    }
  }

  /**
   * Union-find with relabelling, as storage/sqlite: the larger group keeps its person id.
   * New identifiers (and new persons) are written at the end of the operation in one
   * statement; if another node added one of them meanwhile, the whole group runs again.
   */
  async linkIdentifiers(workspaceId: string, identifiers: Identifier[]): Promise<Linked> {
    if (identifiers.length === 0) return { person: null, refused: 0 };
    const ranked = rankedIdents(identifiers);
    await this.loadIdents(
      workspaceId,
      ranked.map((r) => r.ident),
    );
    const seen: IdentSeen[] = ranked.map(({ kind, ident }) => ({
      kind,
      ident,
      person: this.idents.get(k(workspaceId, ident)) ?? null,
    }));
    const factsOf = (p: string) => this.facts.get(k(workspaceId, p)) ?? { n: 0, externals: [] };
    const plan = planLinks(seen, factsOf);
    let person: string;
    if (plan.persons.length === 0) {
      person = newId("p");
      this.remember(this.lockedPersons, k(workspaceId, person));
      this.remember(this.fresh, k(workspaceId, person));
      this.remember(this.created, k(workspaceId, person));
      this.pendingPersons.push([workspaceId, person]);
    } else if (plan.persons.length === 1) person = plan.persons[0]!;
    else person = await this.merge(workspaceId, plan.persons, factsOf);
    for (const i of plan.add) {
      this.setIdent(k(workspaceId, i), person);
      this.pendingIdents.set(k(workspaceId, i), [workspaceId, i, person]);
    }
    if (plan.persons.length !== 1 || plan.add.length > 0) {
      const all = [...plan.persons.map(factsOf), { n: plan.add.length, externals: plan.add }];
      this.setFacts(k(workspaceId, person), {
        n: all.reduce((a, f) => a + f.n, 0),
        externals: [...new Set(all.flatMap((f) => f.externals))].filter((i) => i.startsWith("external_id:")),
      });
    }
    return { person, refused: plan.refused };
  }

  /**
   * Reads (after their locks) what the identity limits need of `persons`: the lock keeps
   * other transactions from changing it; this one's own changes are kept in `facts`.
   */
  private async startFacts(ws: string, persons: string[]): Promise<void> {
    const r = await this.read<{ person: string; n: number; externals: string[] }>(
      `SELECT person, count(*)::int AS n,
              coalesce(array_agg(ident) FILTER (WHERE ident LIKE 'external_id:%'), '{}') AS externals
       FROM identities WHERE workspace_id = $1 AND person = ANY($2::text[]) GROUP BY person`,
      [ws, persons],
    );
    const found = new Map(r.rows.map((x) => [x.person, { n: x.n, externals: x.externals }]));
    for (const p of persons)
      if (!this.facts.has(k(ws, p))) this.setFacts(k(ws, p), found.get(p) ?? { n: 0, externals: [] });
  }

  private async merge(ws: string, persons: string[], factsOf: (p: string) => PersonFacts): Promise<string> {
    this.flushIdents(); // relabelled below
    const sized = persons.map((p) => ({ p, n: factsOf(p).n }));
    sized.sort((a, b) => b.n - a.n || (a.p < b.p ? -1 : 1));
    const winner = sized[0]!.p;
    const losers = sized.slice(1).map((s) => s.p);
    this.send("UPDATE identities SET person = $2 WHERE workspace_id = $1 AND person = ANY($3::text[])", [
      ws,
      winner,
      losers,
    ]);
    this.send("UPDATE touches SET person = $2 WHERE workspace_id = $1 AND person = ANY($3::text[])", [
      ws,
      winner,
      losers,
    ]);
    this.send("DELETE FROM persons WHERE workspace_id = $1 AND id = ANY($2::text[])", [ws, losers]);
    for (const p of persons) this.dropTouches(ws, p); // the winner's touches now include the losers'
    const lost = new Set(losers);
    for (const [key, p] of this.idents)
      if (lost.has(p) && key.startsWith(`${ws}|`)) this.setIdent(key, winner);
    for (const loser of losers) await relabelExperiments(this.sink, ws, loser, winner);
    for (const e of this.events)
      if (e.person !== null && e.event.workspaceId === ws && lost.has(e.person)) e.person = winner;
    if (!persons.every((p) => this.fresh.has(k(ws, p)))) this.forget(this.fresh, k(ws, winner));
    return winner;
  }

  async touchesOf(
    workspaceId: string,
    person: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<StoredTouch[]> {
    if (this.fresh.has(k(workspaceId, person))) return []; // made in this transaction, no touch given yet
    const cached = this.touchCache.get(k(workspaceId, person));
    const span = this.touchSpan.get(k(workspaceId, person));
    if (cached && span && span[0] <= from && to <= span[1])
      return cached.filter((t) => t.time >= from && t.time <= to).slice(0, limit);
    const r = await this.read<StoredTouch>(
      `SELECT id, kind, time, seq, platform, campaign, ad FROM touches
       WHERE workspace_id = $1 AND person = $2 AND time >= $3 AND time <= $4 ORDER BY time DESC, seq DESC LIMIT $5`,
      [workspaceId, person, from, to, limit],
    );
    return r.rows;
  }

  async insertTouch(
    workspaceId: string,
    touch: TouchInput,
    person: string | null,
    receivedAt: number,
  ): Promise<TouchOutcome> {
    if (person !== null) this.forget(this.fresh, k(workspaceId, person));
    const id = newId("tch");
    const ins = await this.read<{ seq: number }>(
      `INSERT INTO touches (id, workspace_id, kind, time, platform, campaign, ad, touch_id, click_id, person, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING seq`,
      [
        id,
        workspaceId,
        touch.kind,
        touch.time,
        touch.platform,
        touch.campaign,
        touch.ad,
        touch.touchId,
        touch.clickId,
        person,
        receivedAt,
      ],
    );
    if (ins.rowCount === 1) {
      if (person !== null) this.cacheTouch(workspaceId, person, { ...touch, id, seq: ins.rows[0]!.seq });
      return { status: "accepted", id };
    }
    if (touch.touchId !== null) {
      const r = await this.read<{ id: string }>(
        "SELECT id FROM touches WHERE workspace_id = $1 AND touch_id = $2",
        [workspaceId, touch.touchId],
      );
      if (r.rows[0]) return { status: "duplicate", id: r.rows[0].id };
    }
    if (touch.clickId !== null) {
      const r = await this.read<{ id: string; person: string | null }>(
        "SELECT id, person FROM touches WHERE workspace_id = $1 AND click_id = $2",
        [workspaceId, touch.clickId],
      );
      const row = r.rows[0];
      if (row) {
        // A click recorded by /c/{id} before the landing page knew the visitor: adopt it.
        if (row.person === null && person !== null) {
          this.send("UPDATE touches SET person = $1 WHERE workspace_id = $3 AND id = $2 AND person IS NULL", [
            person,
            row.id,
            workspaceId,
          ]);
          this.dropTouches(workspaceId, person);
        }
        return { status: "duplicate", id: row.id };
      }
    }
    throw new Error("a touch conflicted with a row that is not there");
  }

  async recordExposure(
    workspaceId: string,
    experiment: string,
    variant: string,
    person: string,
    at: number,
  ): Promise<void> {
    await recordExposure(this.sink, workspaceId, experiment, variant, person, at);
  }

  insertEvent(
    event: NormalizedEvent,
    credits: Credits | null,
    source: EventSource,
    person: string | null,
  ): void {
    this.events.push({ event, source, person });
    if (credits) {
      const rows = creditInserts(event, credits);
      this.credits.push({ ev: event, credits, rows });
      this.creditOp.addAll(deltasOfInserts(rows, 1));
    }
  }

  insertDeliveries(workspaceId: string, eventRef: string, destinationIds: string[], now: number): void {
    for (const d of destinationIds) this.deliveries.push([newId("dlv"), workspaceId, d, eventRef, now]);
  }

  // ---- ReattributeTx (its own transaction: pg-writes.ts) -----------------------------------

  async conversionsIn(workspaceId: string | null, from: number, to: number): Promise<StoredConversion[]> {
    const r = await this.read<ConversionRow>(
      `SELECT ${CONVERSION_COLUMNS} FROM events
       WHERE is_conversion AND test_event_code IS NULL AND NOT retracted AND event_time >= $1 AND event_time < $2 AND ($3::text IS NULL OR workspace_id = $3)
       ORDER BY id FOR UPDATE`,
      [from, to, workspaceId],
    );
    return r.rows.map(storedConversionFromRow);
  }

  async personOf(workspaceId: string, identifiers: Identifier[]): Promise<string | null> {
    const idents = identifiers.map((i) => `${i.kind}:${i.value}`);
    if (idents.length === 0) return null;
    const found = await this.read<{ ident: string; person: string }>(
      "SELECT ident, person FROM identities WHERE workspace_id = $1 AND ident = ANY($2::text[])",
      [workspaceId, idents],
    );
    const byIdent = new Map(found.rows.map((x) => [x.ident, x.person]));
    return idents.map((i) => byIdent.get(i)).find((p) => p !== undefined) ?? null;
  }

  async replaceCredits(conversion: StoredConversion, credits: Credits): Promise<void> {
    const gone = await this.read<StoredCreditRow>(
      `DELETE FROM credits WHERE workspace_id = $2 AND event_ref = $1
       RETURNING workspace_id, model, event_time, platform, campaign, ad, credit, value, currency, flagged`,
      [conversion.id, conversion.workspaceId],
    );
    for (const r of gone.rows) this.creditOp.add(deltaOfRow(r, -1));
    const rows = creditInserts(conversion, credits);
    await this.settle();
    await insertCredits(this.client, rows);
    this.creditOp.addAll(deltasOfInserts(rows, 1));
    await this.read("UPDATE events SET attributed = $2 WHERE workspace_id = $3 AND id = $1", [
      conversion.id,
      credits.last_click.length > 0,
      conversion.workspaceId,
    ]);
  }

  // ---- operation boundaries ---------------------------------------------------------------

  /** Writes what the operation buffered; call before releasing its SAVEPOINT. */
  async flush(): Promise<void> {
    await this.sendFlush();
    await this.settle();
  }

  /**
   * Sends what the operation buffered, without waiting for the answers (they come with the
   * next read or `settle`). Resolves once every statement is sent, in order.
   */
  async sendFlush(): Promise<void> {
    this.flushIdents();
    this.flushClaims();
    await this.flushEvents();
    await this.flushCredits();
    await this.flushDeliveries();
    await this.flushArrivals();
    this.flushQuality();
  }

  /** A touch this transaction stored for `person`: its cached list (if any) takes it in. */
  private cacheTouch(ws: string, person: string, t: StoredTouch): void {
    const list = this.touchCache.get(k(ws, person));
    const span = this.touchSpan.get(k(ws, person));
    if (!list || !span) return;
    if (t.time < span[0] || t.time > span[1]) return;
    const at = list.findIndex((x) => x.time < t.time || (x.time === t.time && x.seq < t.seq));
    list.splice(at < 0 ? list.length : at, 0, t);
  }

  private dropTouches(ws: string, person: string): void {
    this.touchCache.delete(k(ws, person));
    this.touchSpan.delete(k(ws, person));
  }

  /** Moves the credit rollup by signed deltas (a change to credits made outside these methods). */
  moveCredits(deltas: Iterable<CreditDelta>): void {
    this.creditOp.addAll(deltas);
  }

  /** Before COMMIT: writes the credit rollup's rows of every operation released (and the current one). */
  async writeCreditRollup(): Promise<void> {
    this.creditGroup.merge(this.creditOp);
    await writeCreditRollup(this.sink, this.creditGroup.drain());
  }

  /** The operation (or the group prefetch) was released: its journal is kept. Returns its rollups. */
  endOp(): RollupAccumulator {
    this.undo = [];
    this.creditGroup.merge(this.creditOp);
    const r = this.rollups;
    this.rollups = new RollupAccumulator();
    return r;
  }

  /** The operation was rolled back to its SAVEPOINT: forget what it changed or buffered. */
  abortOp(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo = [];
    this.claims = new Map();
    this.pendingPersons = [];
    this.pendingIdents = new Map();
    this.events = [];
    this.credits = [];
    this.creditOp = new CreditRollupAccumulator();
    this.deliveries = [];
    this.arrivals = [];
    this.rollups = new RollupAccumulator();
    // Read again (still locked) from the rows as the savepoint left them.
    this.counters = new Map();
    this.dirtyCounters = new Map();
    this.touchFlags = [];
    this.touchCache = new Map(); // touches it stored are gone again
    this.touchSpan = new Map();
  }

  /** Identifiers read as absent are read again (another node added some of them). */
  forgetAbsent(): void {
    this.absent.clear();
  }

  /** After the operation's failure was rolled back to its SAVEPOINT: the transaction goes on. */
  clearFailure(): void {
    this.failure = null;
  }

  private flushQuality(): void {
    if (this.dirtyCounters.size > 0) {
      const rows = [...this.dirtyCounters.entries()];
      this.dirtyCounters = new Map();
      const times = rows.map(([id]) => this.counters.get(id) ?? []);
      // Rows locked (or made) by this transaction, or counters of its persons: an upsert makes
      // those not there yet.
      this.send(
        `INSERT INTO quality_counters AS c (workspace_id, space, key, times, last_at)
         SELECT w, s, k, times::float8[], last_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) AS t(w, s, k, times, last_at)
         ORDER BY w, s, k
         ON CONFLICT (workspace_id, space, key) DO UPDATE SET times = excluded.times, last_at = excluded.last_at`,
        [
          rows.map((r) => r[1][0]),
          rows.map((r) => r[1][1]),
          rows.map((r) => r[1][2]),
          times.map((t) => `{${t.join(",")}}`),
          times.map((t) => t.at(-1) ?? 0),
        ],
      );
    }
    if (this.touchFlags.length > 0) {
      const rows = this.touchFlags;
      this.touchFlags = [];
      this.send(
        `UPDATE touches c SET quality_score = t.score, quality_flags = t.flags, quality_key = t.qk
         FROM unnest($1::text[], $2::text[], $3::int2[], $4::int2[], $5::text[]) AS t(ws, id, score, flags, qk)
         WHERE c.workspace_id = t.ws AND c.id = t.id`,
        [0, 1, 2, 3, 4].map((k) => rows.map((r) => r[k])),
      );
    }
  }

  private flushIdents(): void {
    if (this.pendingPersons.length > 0) {
      const ps = this.pendingPersons;
      this.pendingPersons = [];
      this.send("INSERT INTO persons (workspace_id, id) SELECT * FROM unnest($1::text[], $2::text[])", [
        ps.map((p) => p[0]),
        ps.map((p) => p[1]),
      ]);
    }
    if (this.pendingIdents.size === 0) return;
    // In one global order (workspace, then identifier): two transactions adding some of the
    // same new identifiers then wait for each other in turn on the primary key, never in a
    // circle (which PostgreSQL answers with a deadlock and the whole group runs again).
    const rows = [...this.pendingIdents.values()].sort((x, y) =>
      x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0,
    );
    this.pendingIdents = new Map();
    // Another node added one of these identifiers after this transaction looked: what was
    // decided from "unknown" may be wrong, so the group starts over and reads it. The check is
    // the statement's own (a failed cast aborts the transaction), so a COMMIT sent behind it
    // in the same round trip cannot commit the group.
    this.send(
      `WITH ins AS (INSERT INTO identities (workspace_id, ident, person)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING RETURNING 1)
       SELECT (CASE WHEN count(*) = $4 THEN '1' ELSE '${IDENT_CONFLICT} ' || count(*) END)::int FROM ins`,
      [rows.map((x) => x[0]), rows.map((x) => x[1]), rows.map((x) => x[2]), rows.length],
    );
  }

  private flushClaims(): void {
    if (this.claims.size === 0) return;
    const rows = [...this.claims.values()];
    this.claims = new Map();
    this.send(
      `INSERT INTO dedup_keys AS d (workspace_id, key, event_ref, received_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
       ON CONFLICT (workspace_id, key) DO UPDATE SET event_ref = excluded.event_ref, received_at = excluded.received_at
       WHERE d.received_at < excluded.received_at - $5::int8`,
      [
        rows.map((r) => r[0]),
        rows.map((r) => r[1]),
        rows.map((r) => r[2]),
        rows.map((r) => r[3]),
        this.dedupWindowMs,
      ],
    );
  }

  private async flushEvents(): Promise<void> {
    if (this.events.length === 0) return;
    const evs = this.events;
    this.events = [];
    await insertEvents(
      this.sink,
      evs,
      new Set(this.credits.filter((c) => c.credits.last_click.length > 0).map((c) => c.ev.id)),
    );
  }

  private async flushCredits(): Promise<void> {
    const list = this.credits;
    this.credits = [];
    const rows = list.flatMap((c) => c.rows);
    await insertCredits(this.sink, rows);
  }

  private async flushDeliveries(): Promise<void> {
    const rows = this.deliveries;
    this.deliveries = [];
    await insertDeliveries(this.sink, rows);
  }

  private async flushArrivals(): Promise<void> {
    const rows = this.arrivals;
    this.arrivals = [];
    await insertArrivals(this.sink, rows);
  }

  // ---- journalled state -------------------------------------------------------------------

  private remember(
    target: Set<string> | Map<string, DedupRow | null>,
    key: string,
    value?: DedupRow | null,
  ): void {
    if (target instanceof Set) {
      if (target.has(key)) return;
      target.add(key);
      this.undo.push(() => target.delete(key));
    } else this.setDedup(key, value ?? null);
  }

  private forget(target: Set<string>, key: string): void {
    if (!target.delete(key)) return;
    this.undo.push(() => target.add(key));
  }

  private setDedup(key: string, row: DedupRow | null): void {
    const had = this.dedup.has(key);
    const before = this.dedup.get(key);
    this.dedup.set(key, row);
    this.undo.push(() => (had ? this.dedup.set(key, before ?? null) : this.dedup.delete(key)));
  }

  private setFacts(key: string, facts: PersonFacts): void {
    const before = this.facts.get(key);
    this.facts.set(key, facts);
    this.undo.push(() => (before === undefined ? this.facts.delete(key) : this.facts.set(key, before)));
  }

  private setIdent(key: string, person: string): void {
    const before = this.idents.get(key);
    this.idents.set(key, person);
    this.undo.push(() => (before === undefined ? this.idents.delete(key) : this.idents.set(key, before)));
    this.forget(this.absent, key);
  }
}
