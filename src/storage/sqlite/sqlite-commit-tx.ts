/**
 * `CommitTx` and `ReattributeTx` on the SQLite write connection: what the commit core
 * (handed to the group committer) runs inside the writer thread's group transaction. Every
 * call answers synchronously from prepared statements; the writer thread runs one operation
 * at a time, so what a statement read stays true until COMMIT.
 */
import { SqliteExperimentWrites } from "./experiments.js";
import { SqliteQualityCounters } from "./quality-counters.js";
import type { CounterHit } from "../../quality/counters.js";
import type { Quality } from "../../quality/flags.js";
import { flagMask, shortAddressKey } from "../../quality/input.js";
import type Database from "better-sqlite3";
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
import type { ModelName } from "../../attribution/index.js";
import { routeFromRow, type DestinationRoute } from "../../domain/destination-route.js";
import type { EventSource, Identifier, NormalizedEvent, TouchInput } from "../../domain/event.js";
import { newId } from "../../domain/ids.js";
import {
  MAX_IDENTIFIERS_PER_PERSON,
  planLinks,
  rankedIdents,
  type IdentSeen,
  type PersonFacts,
} from "../../domain/identity-limits.js";
import { creditInserts } from "../conversion-rows.js";
import {
  CreditRollupAccumulator,
  deltaOfRow,
  deltasOfInserts,
  type CreditDelta,
  type StoredCreditRow,
} from "../credit-rollup.js";
import {
  CONVERSION_COLUMNS,
  EVENT_COLUMNS,
  eventValues,
  payloadOf,
  STORED_COPY_COLUMNS,
  storedConversionFromRow,
  storedCopyFromRow,
  type ConversionRow,
  type StoredCopyRow,
} from "../event-row.js";

type Stmt = Database.Statement;

const bindable = (v: string | number | boolean | null) => (typeof v === "boolean" ? (v ? 1 : 0) : v);

const noCredits = (): Credits => ({
  last_click: [],
  first_click: [],
  linear: [],
  time_decay: [],
  position_based: [],
});

export class SqliteCommitTx implements CommitTx, ReattributeTx {
  private readonly s: Record<
    | "findDedup"
    | "claimDedup"
    | "identOf"
    | "insertIdent"
    | "personSize"
    | "personCount"
    | "personExternals"
    | "relabelIdent"
    | "relabelTouches"
    | "touchById"
    | "touchByClick"
    | "setTouchPerson"
    | "insertTouch"
    | "insertEvent"
    | "routes"
    | "storedCopy"
    | "supersedeEvent"
    | "supersedeCredits"
    | "creditRows"
    | "redeliverTargets"
    | "insertArrival"
    | "insertCredit"
    | "deleteCredits"
    | "setAttributed"
    | "insertDelivery"
    | "flagTouch",
    Stmt
  >;
  private readonly touchesByLimit = new Map<number, Database.Statement>();
  /** Persons created in this group: they cannot have touches yet, no query needed. */
  private readonly freshPersons = new Set<string>();
  /**
   * Each workspace's destinations as routing needs them. Every change to destinations goes
   * through this writer, which drops the workspace's entry (`forgetRoutes`; all of them on a
   * rollback, as a rolled-back group may have read a destination that is not there): the hot
   * path reads the table once per change, not once per event.
   */
  private readonly routes = new Map<string, DestinationRoute[]>();

  private readonly experiments: SqliteExperimentWrites;
  private readonly counters: SqliteQualityCounters;

  /**
   * The credit rollup's deltas of the operation running now (storage/credit-rollup.ts): the
   * group committer moves them into the group's when it succeeds, and drops them when not.
   */
  readonly creditRollup = new CreditRollupAccumulator();

  constructor(private readonly db: Database.Database) {
    this.experiments = new SqliteExperimentWrites(db);
    this.counters = new SqliteQualityCounters();
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      findDedup: p(
        "SELECT event_ref FROM dedup_keys WHERE workspace_id = ? AND key = ? AND received_at >= ?",
      ),
      claimDedup: p(
        `INSERT INTO dedup_keys (workspace_id, key, event_ref, received_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (workspace_id, key) DO UPDATE SET event_ref = excluded.event_ref, received_at = excluded.received_at
         WHERE dedup_keys.received_at < ?`,
      ),
      identOf: p("SELECT person FROM identities WHERE workspace_id = ? AND ident = ?"),
      insertIdent: p("INSERT OR IGNORE INTO identities (workspace_id, ident, person) VALUES (?, ?, ?)"),
      personSize: p("SELECT count(*) AS n FROM identities WHERE workspace_id = ? AND person = ?"),
      // Bounded reads for the identity limits: the count stops past the limit, and the
      // person's external ids are a range of identities_person (ident follows the index's columns).
      // LIMITs are written into the statements, not bound: see `touchesOf` below.
      personCount: p(
        `SELECT count(*) AS n FROM (SELECT 1 FROM identities WHERE workspace_id = ? AND person = ?
         LIMIT ${MAX_IDENTIFIERS_PER_PERSON + 1})`,
      ),
      personExternals: p(
        "SELECT ident FROM identities WHERE workspace_id = ? AND person = ? AND ident >= 'external_id:' AND ident < 'external_id;' LIMIT 64",
      ),
      relabelIdent: p("UPDATE identities SET person = ? WHERE workspace_id = ? AND person = ?"),
      relabelTouches: p("UPDATE touches SET person = ? WHERE workspace_id = ? AND person = ?"),
      touchById: p("SELECT id FROM touches WHERE workspace_id = ? AND touch_id = ?"),
      touchByClick: p("SELECT id, person FROM touches WHERE workspace_id = ? AND click_id = ?"),
      setTouchPerson: p("UPDATE touches SET person = ? WHERE id = ? AND person IS NULL"),
      insertTouch: p(
        `INSERT INTO touches (id, workspace_id, kind, time, platform, campaign, ad, touch_id, click_id, person, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertEvent: p(
        `INSERT INTO events (${EVENT_COLUMNS.map((c) => c[0]).join(", ")})
         VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")})`,
      ),
      routes: p(
        "SELECT id, type, route_events FROM destinations WHERE workspace_id = ? AND deleted = 0 ORDER BY created_at, id",
      ),
      storedCopy: p(`SELECT ${STORED_COPY_COLUMNS} FROM events WHERE workspace_id = ? AND id = ?`),
      supersedeEvent: p(
        `UPDATE events SET value = ?, currency = ?, payload = ?, ip_enc = ?, order_id = COALESCE(order_id, ?),
           superseded_at = ? WHERE id = ?`,
      ),
      supersedeCredits: p("UPDATE credits SET value = ?, currency = ? WHERE event_ref = ?"),
      creditRows: p(
        `SELECT workspace_id, model, event_time, platform, campaign, ad, touch_time AS time, credit, value, currency, flagged
         FROM credits WHERE event_ref = ? ORDER BY model, ord`,
      ),
      redeliverTargets: p(
        `SELECT d.destination_id FROM deliveries d JOIN destinations t ON t.id = d.destination_id AND t.deleted = 0
         WHERE d.event_ref = ? AND d.kind = 'event' GROUP BY d.destination_id
         HAVING max(d.status = 'delivered' OR (d.status = 'pending' AND d.lease_until > ?)) = 1
            AND max(d.status = 'pending' AND d.lease_until <= ?) = 0`,
      ),
      insertArrival: p(
        `INSERT INTO event_arrivals (workspace_id, event_ref, source, received_at, event_id, status)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      insertCredit: p(
        `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency, flagged)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteCredits: p(
        `DELETE FROM credits WHERE event_ref = ?
         RETURNING workspace_id, model, event_time, platform, campaign, ad, credit, value, currency, flagged`,
      ),
      setAttributed: p("UPDATE events SET attributed = ? WHERE id = ?"),
      insertDelivery: p(
        `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
      ),
      flagTouch: p("UPDATE touches SET quality_score = ?, quality_flags = ?, quality_key = ? WHERE id = ?"),
    };
  }

  // ---- group boundaries -------------------------------------------------------------------

  /** The group committed: persons made in it may have touches now. */
  endGroup(): void {
    this.freshPersons.clear();
    this.counters.commit();
  }

  /** Where the quality counters' journal stands (before an operation run in a savepoint). */
  counterMark(): number {
    return this.counters.mark();
  }

  /** A rollback: the counters go back to `mark` (0: the whole group). */
  rollbackCounters(mark = 0): void {
    this.counters.rollback(mark);
  }

  /** Routing must read the workspace's destinations again (all workspaces when none is named). */
  forgetRoutes(workspaceId?: string): void {
    if (workspaceId === undefined) this.routes.clear();
    else this.routes.delete(workspaceId);
  }

  // ---- CommitTx ---------------------------------------------------------------------------

  findDedup(workspaceId: string, keys: string[], since: number): string | null {
    for (const key of keys) {
      const row = this.s.findDedup.get(workspaceId, key, since) as { event_ref: string } | undefined;
      if (row) return row.event_ref;
    }
    return null;
  }

  claimDedup(workspaceId: string, keys: string[], eventRef: string, receivedAt: number, since: number): void {
    for (const key of keys) this.s.claimDedup.run(workspaceId, key, eventRef, receivedAt, since);
  }

  /**
   * Union-find with relabelling, within the identity limits (domain/identity-limits.ts): the
   * larger group keeps its person id, the smaller is relabelled.
   */
  linkIdentifiers(workspaceId: string, identifiers: Identifier[]): Linked {
    if (identifiers.length === 0) return { person: null, refused: 0 };
    const seen: IdentSeen[] = rankedIdents(identifiers).map(({ kind, ident }) => ({
      kind,
      ident,
      person: (this.s.identOf.get(workspaceId, ident) as { person: string } | undefined)?.person ?? null,
    }));
    const plan = planLinks(seen, (p) => this.personFacts(workspaceId, p));
    let person: string;
    if (plan.persons.length === 0) {
      person = newId("p");
      this.freshPersons.add(person);
    } else if (plan.persons.length === 1) person = plan.persons[0]!;
    else {
      const sized = plan.persons.map((p) => ({
        p,
        n: (this.s.personSize.get(workspaceId, p) as { n: number }).n,
      }));
      sized.sort((a, b) => b.n - a.n || (a.p < b.p ? -1 : 1));
      person = sized[0]!.p;
      this.freshPersons.delete(person); // it now holds the others' touches
      for (const { p } of sized.slice(1)) {
        this.s.relabelIdent.run(person, workspaceId, p);
        this.s.relabelTouches.run(person, workspaceId, p);
        this.experiments.relabel(workspaceId, p, person);
      }
    }
    for (const ident of plan.add) this.s.insertIdent.run(workspaceId, ident, person);
    return { person, refused: plan.refused };
  }

  private personFacts(workspaceId: string, person: string): PersonFacts {
    const { n } = this.s.personCount.get(workspaceId, person) as { n: number };
    const externals = (this.s.personExternals.all(workspaceId, person) as { ident: string }[]).map(
      (r) => r.ident,
    );
    return { n, externals };
  }

  touchesOf(workspaceId: string, person: string, from: number, to: number, limit: number): StoredTouch[] {
    if (this.freshPersons.has(person)) return [];
    return this.touchesStmt(limit).all(workspaceId, person, from, to) as StoredTouch[];
  }

  /**
   * The touches query with its LIMIT written in, one statement per limit (the callers pass one
   * constant). With a bound `LIMIT ?` a run cost about what preparing the statement does:
   * 10.9 µs against 2.7 µs with the number written in, on a person without touches — once per
   * conversion of a known person (docs/benchmarks.md).
   */
  private touchesStmt(limit: number): Database.Statement {
    let st = this.touchesByLimit.get(limit);
    if (!st) {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`bad touch limit ${limit}`);
      st = this.db.prepare(
        `SELECT id, kind, time, seq, platform, campaign, ad FROM touches
         WHERE workspace_id = ? AND person = ? AND time >= ? AND time <= ? ORDER BY time DESC, seq DESC LIMIT ${limit}`,
      );
      this.touchesByLimit.set(limit, st);
    }
    return st;
  }

  insertTouch(
    workspaceId: string,
    touch: TouchInput,
    person: string | null,
    receivedAt: number,
  ): TouchOutcome {
    if (touch.touchId !== null) {
      const row = this.s.touchById.get(workspaceId, touch.touchId) as { id: string } | undefined;
      if (row) return { status: "duplicate", id: row.id };
    }
    if (touch.clickId !== null) {
      const row = this.s.touchByClick.get(workspaceId, touch.clickId) as
        { id: string; person: string | null } | undefined;
      if (row) {
        // A click recorded by /c/{id} before the landing page knew the visitor: adopt it (and
        // the person, made fresh by this very PageView, has a touch now).
        if (row.person === null && person !== null) {
          this.s.setTouchPerson.run(person, row.id);
          this.freshPersons.delete(person);
        }
        return { status: "duplicate", id: row.id };
      }
    }
    const id = newId("tch");
    if (person !== null) this.freshPersons.delete(person);
    this.s.insertTouch.run(
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
    );
    return { status: "accepted", id };
  }

  recordExposure(workspaceId: string, experiment: string, variant: string, person: string, at: number): void {
    this.experiments.recordExposure(workspaceId, experiment, variant, person, at);
  }

  insertEvent(
    ev: NormalizedEvent,
    credits: Credits | null,
    source: EventSource,
    person: string | null,
  ): void {
    const attributed = credits !== null && credits.last_click.length > 0;
    this.s.insertEvent.run(...eventValues(ev, attributed, source, person).map(bindable));
    if (credits) this.insertCredits(ev, credits);
  }

  private insertCredits(conversion: Parameters<typeof creditInserts>[0], credits: Credits): void {
    const rows = creditInserts(conversion, credits);
    for (const row of rows) this.s.insertCredit.run(...row.map(bindable));
    this.creditRollup.addAll(deltasOfInserts(rows, 1));
  }

  /** Moves the credit rollup by signed deltas (a change to credits made outside these methods). */
  moveCredits(deltas: Iterable<CreditDelta>): void {
    this.creditRollup.addAll(deltas);
  }

  destinationRoutes(workspaceId: string): DestinationRoute[] {
    let list = this.routes.get(workspaceId);
    if (!list) {
      const rows = this.s.routes.all(workspaceId) as {
        id: string;
        type: string;
        route_events: string | null;
      }[];
      list = rows.map((r) =>
        routeFromRow(r.id, r.type, r.route_events === null ? null : (JSON.parse(r.route_events) as string[])),
      );
      this.routes.set(workspaceId, list);
    }
    return list;
  }

  storedCopy(workspaceId: string, eventRef: string): StoredCopy | null {
    const r = this.s.storedCopy.get(workspaceId, eventRef) as StoredCopyRow | undefined;
    return r ? storedCopyFromRow(r) : null;
  }

  supersedeEvent(
    eventRef: string,
    copy: NormalizedEvent,
    identifiers: Identifier[],
    supersededAt: number,
  ): Credits {
    this.s.supersedeEvent.run(
      copy.value,
      copy.currency,
      payloadOf(copy, identifiers),
      copy.user.client_ip_enc ?? null,
      copy.orderId,
      supersededAt,
      eventRef,
    );
    const rows = this.s.creditRows.all(eventRef) as (StoredCreditRow & { model: ModelName; time: number })[];
    this.s.supersedeCredits.run(copy.value, copy.currency, eventRef);
    const out = noCredits();
    for (const r of rows) {
      // The shares stay; the value (and maybe the currency) moves in the rollup.
      this.creditRollup.add(deltaOfRow(r, -1));
      this.creditRollup.add(deltaOfRow({ ...r, value: copy.value, currency: copy.currency }, 1));
      out[r.model].push({
        platform: r.platform,
        campaign: r.campaign,
        ad: r.ad,
        time: r.time,
        credit: r.credit,
      });
    }
    return out;
  }

  redeliver(workspaceId: string, eventRef: string, now: number): string[] {
    const ids = (this.s.redeliverTargets.all(eventRef, now, now) as { destination_id: string }[]).map(
      (r) => r.destination_id,
    );
    this.insertDeliveries(workspaceId, eventRef, ids, now);
    return ids;
  }

  recordArrival(a: ArrivalRow): void {
    this.s.insertArrival.run(a.workspaceId, a.eventRef, a.source, a.receivedAt, a.eventId, a.status);
  }

  insertDeliveries(workspaceId: string, eventRef: string, destinationIds: string[], now: number): void {
    for (const d of destinationIds)
      this.s.insertDelivery.run(newId("dlv"), workspaceId, d, eventRef, now, now);
  }

  qualityHit(workspaceId: string, hits: readonly CounterHit[], at: number): number[] {
    return this.counters.hit(workspaceId, hits, at);
  }

  flagTouch(_workspaceId: string, touchRef: string, quality: Quality, addressKey: string | null): void {
    this.s.flagTouch.run(quality.score, flagMask(quality.flags), shortAddressKey(addressKey), touchRef);
  }

  // ---- ReattributeTx ----------------------------------------------------------------------

  conversionsIn(workspaceId: string | null, from: number, to: number): StoredConversion[] {
    const rows = this.db
      .prepare(
        `SELECT ${CONVERSION_COLUMNS} FROM events
         WHERE is_conversion = 1 AND test_event_code IS NULL AND retracted = 0 AND event_time >= ? AND event_time < ? ${workspaceId ? "AND workspace_id = ?" : ""}`,
      )
      .all(...(workspaceId ? [from, to, workspaceId] : [from, to])) as ConversionRow[];
    return rows.map(storedConversionFromRow);
  }

  personOf(workspaceId: string, identifiers: Identifier[]): string | null {
    for (const id of identifiers) {
      const row = this.s.identOf.get(workspaceId, `${id.kind}:${id.value}`) as { person: string } | undefined;
      if (row) return row.person;
    }
    return null;
  }

  replaceCredits(conversion: StoredConversion, credits: Credits): void {
    for (const r of this.s.deleteCredits.all(conversion.id) as StoredCreditRow[])
      this.creditRollup.add(deltaOfRow(r, -1));
    this.insertCredits(conversion, credits);
    this.s.setAttributed.run(credits.last_click.length > 0 ? 1 : 0, conversion.id);
  }
}
