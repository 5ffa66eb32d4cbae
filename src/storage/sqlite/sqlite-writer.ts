/**
 * The SQLite write side: every statement that changes the embedded store. It runs inside the
 * writer worker thread (sqlite-writer-worker.ts), which groups queued operations into one
 * transaction and one fsync, so the main thread keeps parsing requests while the disk syncs.
 */
import Database from "better-sqlite3";
import { newId } from "../../domain/ids.js";
import type { EventSource, Identifier, NormalizedEvent, TouchInput } from "../../domain/event.js";
import { routeFromRow, type DestinationRoute } from "../../domain/destination-route.js";
import type { ConversionAction, Workspace } from "../../domain/workspace.js";
import type { ModelName } from "../../attribution/index.js";
import {
  commitEventItems,
  commitTouchItems,
  RollupAccumulator,
  emptyCredits,
  creditRowsOf,
  lookbackStart,
  ATTRIBUTION_TOUCH_LIMIT,
} from "../../pipeline/commit.js";
import { MODELS } from "../../attribution/index.js";
import { mergeHistograms } from "../../monitoring/histogram.js";
import { MIGRATIONS } from "./schema.js";
import { Erasure } from "../erase-payload.js";
import { payloadOf } from "../event-payload.js";
import { rotateWorkspaceKey as rotateKey } from "./workspace-keys.js";
import { workspacePatchColumns } from "../workspace-patch.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";
import type {
  ArrivalRow,
  CommitItem,
  CommitTx,
  CreditRow,
  DeliveryJob,
  DeliveryUpdate,
  DestinationRecord,
  Link,
  NewWorkspace,
  RollupDelta,
  Session,
  StoredCopy,
  StoredTouch,
  TouchOutcome,
  WorkspaceKeyKind,
  WorkspaceKeys,
  WorkspacePatch,
} from "../storage.js";
import type { CommitOutcome } from "../../domain/event.js";
import { eventFromRow, type EventRow } from "./rows.js";
import { HOUR_MS } from "../../domain/time.js";

export interface WriterOptions {
  path: string;
  synchronous: "full" | "normal";
  dedupWindowMs: number;
}

type Stmt = Database.Statement;

export function openDatabase(path: string, synchronous: "full" | "normal"): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  // Freed cells and pages are overwritten with zeros, not left readable in the file: an
  // erasure must leave none of the person's bytes (and the write connection does every delete).
  db.pragma("secure_delete = ON");
  return db;
}

export function migrate(db: Database.Database): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const done = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        m.version,
        Date.now(),
      );
    })();
  }
}

export class SqliteWriter implements CommitTx {
  readonly db: Database.Database;
  private readonly opts: WriterOptions;
  private readonly s: Record<string, Stmt>;
  private readonly currencies = new Map<string, string>();
  private readonly rollupStmts = new Map<string, Stmt>();
  /** Rollups of the operations that succeeded in the current group, written once before COMMIT. */
  private groupRollups = new RollupAccumulator();
  /** Rollups of the operation running now; merged into the group's when it succeeds. */
  private opRollups = new RollupAccumulator();
  /** Persons created in this transaction: they cannot have touches yet, no query needed. */
  private freshPersons = new Set<string>();
  /** Byte patterns of the group's erasures, checked against the files after COMMIT. */
  private erasurePatterns: string[] = [];
  /**
   * Each workspace's destinations as routing needs them. Every change to destinations goes
   * through this writer, which drops the workspace's entry (and all of them on a rollback, as
   * a rolled-back group may have read a destination that is not there): the hot path reads
   * the table once per change, not once per event.
   */
  private readonly routes = new Map<string, DestinationRoute[]>();

  constructor(opts: WriterOptions) {
    this.opts = opts;
    this.db = openDatabase(opts.path, opts.synchronous);
    migrate(this.db);
    const p = (sql: string) => this.db.prepare(sql);
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
      relabelIdent: p("UPDATE identities SET person = ? WHERE workspace_id = ? AND person = ?"),
      relabelTouches: p("UPDATE touches SET person = ? WHERE workspace_id = ? AND person = ?"),
      touchesOf: p(
        `SELECT id, kind, time, seq, platform, campaign, ad FROM touches
         WHERE workspace_id = ? AND person = ? AND time >= ? AND time <= ? ORDER BY time DESC, seq DESC LIMIT ?`,
      ),
      touchById: p("SELECT id FROM touches WHERE workspace_id = ? AND touch_id = ?"),
      touchByClick: p("SELECT id, person FROM touches WHERE workspace_id = ? AND click_id = ?"),
      setTouchPerson: p("UPDATE touches SET person = ? WHERE id = ? AND person IS NULL"),
      insertTouch: p(
        `INSERT INTO touches (id, workspace_id, kind, time, platform, campaign, ad, touch_id, click_id, person, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertEvent: p(
        `INSERT INTO events (id, workspace_id, event_name, is_conversion, test_event_code, event_time, received_at,
           event_id, order_id, value, currency, attributed, payload, ip_enc, source)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      routes: p(
        "SELECT id, type, route_events FROM destinations WHERE workspace_id = ? AND deleted = 0 ORDER BY created_at, id",
      ),
      storedCopy: p(
        `SELECT source, superseded_at, event_time, received_at, event_id, value, currency, payload
         FROM events WHERE workspace_id = ? AND id = ?`,
      ),
      supersedeEvent: p(
        `UPDATE events SET value = ?, currency = ?, payload = ?, ip_enc = ?, order_id = COALESCE(order_id, ?),
           superseded_at = ? WHERE id = ?`,
      ),
      supersedeCredits: p("UPDATE credits SET value = ?, currency = ? WHERE event_ref = ?"),
      creditsOf: p(
        "SELECT model, platform, campaign, ad, touch_time AS time, credit FROM credits WHERE event_ref = ? ORDER BY model, ord",
      ),
      redeliverTargets: p(
        `SELECT d.destination_id FROM deliveries d JOIN destinations t ON t.id = d.destination_id AND t.deleted = 0
         WHERE d.event_ref = ? GROUP BY d.destination_id
         HAVING max(d.status = 'delivered' OR (d.status = 'pending' AND d.lease_until > ?)) = 1
            AND max(d.status = 'pending' AND d.lease_until <= ?) = 0`,
      ),
      insertArrival: p(
        `INSERT INTO event_arrivals (workspace_id, event_ref, source, received_at, event_id, status)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      insertCredit: p(
        `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertDelivery: p(
        `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
      ),
      wsCurrency: p("SELECT currency FROM workspaces WHERE id = ?"),
    };
  }

  // ---- CommitTx -------------------------------------------------------------------------

  findDedup(workspaceId: string, keys: string[], since: number): string | null {
    for (const key of keys) {
      const row = this.s.findDedup!.get(workspaceId, key, since) as { event_ref: string } | undefined;
      if (row) return row.event_ref;
    }
    return null;
  }

  claimDedup(workspaceId: string, keys: string[], eventRef: string, receivedAt: number, since: number): void {
    for (const key of keys) this.s.claimDedup!.run(workspaceId, key, eventRef, receivedAt, since);
  }

  /** Union-find with relabelling: the larger group keeps its person id, the smaller is relabelled. */
  linkIdentifiers(workspaceId: string, identifiers: Identifier[]): string | null {
    if (identifiers.length === 0) return null;
    const persons = new Set<string>();
    const missing: string[] = [];
    for (const id of identifiers) {
      const ident = `${id.kind}:${id.value}`;
      const row = this.s.identOf!.get(workspaceId, ident) as { person: string } | undefined;
      if (row) persons.add(row.person);
      else missing.push(ident);
    }
    let person: string;
    if (persons.size === 0) {
      person = newId("p");
      this.freshPersons.add(person);
    } else if (persons.size === 1) person = persons.values().next().value!;
    else {
      const sized = [...persons].map((p) => ({
        p,
        n: (this.s.personSize!.get(workspaceId, p) as { n: number }).n,
      }));
      sized.sort((a, b) => b.n - a.n || (a.p < b.p ? -1 : 1));
      person = sized[0]!.p;
      this.freshPersons.delete(person); // it now holds the others' touches
      for (const { p } of sized.slice(1)) {
        this.s.relabelIdent!.run(person, workspaceId, p);
        this.s.relabelTouches!.run(person, workspaceId, p);
      }
    }
    for (const ident of missing) this.s.insertIdent!.run(workspaceId, ident, person);
    return person;
  }

  touchesOf(workspaceId: string, person: string, from: number, to: number, limit: number): StoredTouch[] {
    if (this.freshPersons.has(person)) return [];
    return this.s.touchesOf!.all(workspaceId, person, from, to, limit) as StoredTouch[];
  }

  insertTouch(
    workspaceId: string,
    touch: TouchInput,
    person: string | null,
    receivedAt: number,
  ): TouchOutcome {
    if (touch.touchId !== null) {
      const row = this.s.touchById!.get(workspaceId, touch.touchId) as { id: string } | undefined;
      if (row) return { status: "duplicate", id: row.id };
    }
    if (touch.clickId !== null) {
      const row = this.s.touchByClick!.get(workspaceId, touch.clickId) as
        { id: string; person: string | null } | undefined;
      if (row) {
        // A click recorded by /c/{id} before the landing page knew the visitor: adopt it.
        if (row.person === null && person !== null) this.s.setTouchPerson!.run(person, row.id);
        return { status: "duplicate", id: row.id };
      }
    }
    const id = newId("tch");
    if (person !== null) this.freshPersons.delete(person);
    this.s.insertTouch!.run(
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

  insertEvent(
    ev: NormalizedEvent,
    credits: Record<ModelName, CreditRow[]> | null,
    source: EventSource,
  ): void {
    const attributed = credits !== null && credits.last_click.length > 0 ? 1 : 0;
    const payload = payloadOf(ev, ev.identifiers);
    this.s.insertEvent!.run(
      ev.id,
      ev.workspaceId,
      ev.eventName,
      ev.isConversion ? 1 : 0,
      ev.testEventCode,
      ev.eventTime,
      ev.receivedAt,
      ev.eventId,
      ev.orderId,
      ev.value,
      ev.currency,
      attributed,
      payload,
      ev.user.client_ip_enc ?? null,
      source,
    );
    if (credits) this.insertCredits(ev.id, ev.workspaceId, ev.eventTime, ev.value, ev.currency, credits);
  }

  private insertCredits(
    ref: string,
    ws: string,
    eventTime: number,
    value: number | null,
    currency: string | null,
    credits: Record<ModelName, CreditRow[]>,
  ): void {
    for (const model of MODELS) {
      credits[model].forEach((c, i) => {
        this.s.insertCredit!.run(
          ref,
          ws,
          model,
          eventTime,
          i,
          c.platform,
          c.campaign,
          c.ad,
          c.time,
          c.credit,
          value,
          currency,
        );
      });
    }
  }

  destinationRoutes(workspaceId: string): DestinationRoute[] {
    let list = this.routes.get(workspaceId);
    if (!list) {
      const rows = this.s.routes!.all(workspaceId) as {
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
    const r = this.s.storedCopy!.get(workspaceId, eventRef) as
      | {
          source: EventSource | null;
          superseded_at: number | null;
          event_time: number;
          received_at: number;
          event_id: string | null;
          value: number | null;
          currency: string | null;
          payload: string;
        }
      | undefined;
    if (!r) return null;
    return {
      source: r.source,
      supersededAt: r.superseded_at,
      eventTime: r.event_time,
      receivedAt: r.received_at,
      eventId: r.event_id,
      value: r.value,
      currency: r.currency,
      identifiers: (JSON.parse(r.payload) as { i?: Identifier[] }).i ?? [],
    };
  }

  supersedeEvent(
    eventRef: string,
    copy: NormalizedEvent,
    identifiers: Identifier[],
    supersededAt: number,
  ): Record<ModelName, CreditRow[]> {
    this.s.supersedeEvent!.run(
      copy.value,
      copy.currency,
      payloadOf(copy, identifiers),
      copy.user.client_ip_enc ?? null,
      copy.orderId,
      supersededAt,
      eventRef,
    );
    this.s.supersedeCredits!.run(copy.value, copy.currency, eventRef);
    const out = emptyCredits();
    for (const r of this.s.creditsOf!.all(eventRef) as (CreditRow & { model: ModelName })[]) {
      const { model, ...credit } = r;
      out[model].push(credit);
    }
    return out;
  }

  redeliver(workspaceId: string, eventRef: string, now: number): string[] {
    const ids = (this.s.redeliverTargets!.all(eventRef, now, now) as { destination_id: string }[]).map(
      (r) => r.destination_id,
    );
    this.insertDeliveries(workspaceId, eventRef, ids, now);
    return ids;
  }

  recordArrival(a: ArrivalRow): void {
    this.s.insertArrival!.run(a.workspaceId, a.eventRef, a.source, a.receivedAt, a.eventId, a.status);
  }

  insertDeliveries(workspaceId: string, eventRef: string, destinationIds: string[], now: number): void {
    for (const d of destinationIds)
      this.s.insertDelivery!.run(newId("dlv"), workspaceId, d, eventRef, now, now);
  }

  addRollups(deltas: RollupDelta[]): void {
    for (const d of deltas) {
      this.upsertRollup("rollups_minute", d.minute, d);
      this.upsertRollup("rollups_hour", d.minute - (d.minute % HOUR_MS), d);
    }
  }

  private upsertRollup(table: string, start: number, d: RollupDelta): void {
    const cols = [
      "received",
      "accepted",
      "conversions",
      "value",
      "duplicates",
      "rejected",
      "clicks",
      "impressions",
    ] as const;
    const vals = cols.map((c) => d[c] ?? 0);
    let upsert = this.rollupStmts.get(table);
    if (!upsert) {
      upsert = this.db.prepare(
        `INSERT INTO ${table} (workspace_id, start, ${cols.join(", ")}) VALUES (?, ?, ${cols.map(() => "?").join(", ")})
         ON CONFLICT (workspace_id, start) DO UPDATE SET ${cols.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
      );
      this.rollupStmts.set(table, upsert);
    }
    upsert.run(d.workspaceId, start, ...vals);
    if (d.latency || d.pipeline) {
      const row = this.db
        .prepare(`SELECT latency, pipeline FROM ${table} WHERE workspace_id = ? AND start = ?`)
        .get(d.workspaceId, start) as { latency: string | null; pipeline: string | null } | undefined;
      const lat = mergeHistograms(row?.latency ? (JSON.parse(row.latency) as number[]) : [], d.latency ?? []);
      const pipe = mergeHistograms(
        row?.pipeline ? (JSON.parse(row.pipeline) as number[]) : [],
        d.pipeline ?? [],
      );
      this.db
        .prepare(`UPDATE ${table} SET latency = ?, pipeline = ? WHERE workspace_id = ? AND start = ?`)
        .run(JSON.stringify(lat), JSON.stringify(pipe), d.workspaceId, start);
    }
  }

  // ---- operations (each runs inside the group transaction) -------------------------------

  private currencyOf = (ws: string): string | null => {
    let c = this.currencies.get(ws);
    if (c === undefined) {
      c = (this.s.wsCurrency!.get(ws) as { currency: string } | undefined)?.currency;
      if (c === undefined) return null;
      this.currencies.set(ws, c);
    }
    return c;
  };

  async commitEvents(items: CommitItem[], rollups: RollupDelta[]): Promise<CommitOutcome[]> {
    this.opRollups.addAll(rollups);
    const out = await commitEventItems(this, items, this.opRollups, {
      dedupWindowMs: this.opts.dedupWindowMs,
      currencyOf: this.currencyOf,
    });
    this.groupRollups.addAll(this.opRollups.drain());
    return out;
  }

  async commitTouches(
    workspaceId: string,
    touches: TouchInput[],
    receivedAt: number,
    rollups: RollupDelta[],
  ): Promise<TouchOutcome[]> {
    this.opRollups.addAll(rollups);
    const out = await commitTouchItems(this, workspaceId, touches, receivedAt, this.opRollups);
    this.groupRollups.addAll(this.opRollups.drain());
    return out;
  }

  addRollupsOp(deltas: RollupDelta[]): void {
    this.groupRollups.addAll(deltas);
  }

  /** Before COMMIT: write the group's rollups (one upsert per workspace and minute). */
  flushGroup(): void {
    this.addRollups(this.groupRollups.drain());
    this.freshPersons.clear();
  }

  /** After a rollback: forget what the rolled-back operations accumulated. */
  discardGroup(): void {
    this.groupRollups.drain();
    this.opRollups.drain();
    this.freshPersons.clear();
    this.erasurePatterns = [];
    this.routes.clear();
  }

  discardOp(): void {
    this.opRollups.drain();
    this.routes.clear();
  }

  createWorkspace(input: NewWorkspace, keys: WorkspaceKeys, actions: ConversionAction[]): Workspace {
    const id = newId("ws");
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO workspaces (id, name, currency, timezone, public_key, secret_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, input.name, input.currency, input.timezone, keys.publicKey, keys.secretKeyHash, now);
    const ins = this.db.prepare(
      `INSERT INTO conversion_actions (workspace_id, name, required, click_window_days, view_window_days, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    actions.forEach((a, i) =>
      ins.run(id, a.name, JSON.stringify(a.required), a.clickWindowDays, a.viewWindowDays, now + i),
    );
    return rowToWorkspace(this.db.prepare("SELECT * FROM workspaces WHERE id = ?").get(id) as WorkspaceRow);
  }

  updateWorkspace(id: string, patch: WorkspacePatch): Workspace | null {
    const cols = workspacePatchColumns(patch);
    if (cols.length > 0)
      this.db
        .prepare(`UPDATE workspaces SET ${cols.map((c) => `${c.column} = ?`).join(", ")} WHERE id = ?`)
        .run(...cols.map((c) => c.value), id);
    this.currencies.delete(id);
    const row = this.db.prepare("SELECT * FROM workspaces WHERE id = ?").get(id) as WorkspaceRow | undefined;
    return row ? rowToWorkspace(row) : null;
  }

  upsertConversionAction(workspaceId: string, a: ConversionAction): ConversionAction {
    this.db
      .prepare(
        `INSERT INTO conversion_actions (workspace_id, name, required, click_window_days, view_window_days, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, name) DO UPDATE SET required = excluded.required,
           click_window_days = excluded.click_window_days, view_window_days = excluded.view_window_days`,
      )
      .run(workspaceId, a.name, JSON.stringify(a.required), a.clickWindowDays, a.viewWindowDays, Date.now());
    return a;
  }

  createLink(link: Link): Link {
    this.db
      .prepare(
        "INSERT INTO links (id, workspace_id, destination_url, platform, campaign, ad, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        link.id,
        link.workspaceId,
        link.destinationUrl,
        link.platform,
        link.campaign,
        link.ad,
        link.createdAt,
      );
    return link;
  }

  createDestination(d: DestinationRecord): DestinationRecord {
    const route = d.routeEvents === undefined ? d.events : d.routeEvents;
    this.db
      .prepare(
        "INSERT INTO destinations (id, workspace_id, type, name, events, config_enc, created_at, route_events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        d.id,
        d.workspaceId,
        d.type,
        d.name,
        d.events ? JSON.stringify(d.events) : null,
        d.configEnc,
        d.createdAt,
        route ? JSON.stringify(route) : null,
      );
    this.routes.delete(d.workspaceId);
    return { ...d, routeEvents: route };
  }

  setDestinationRoute(workspaceId: string, id: string, routeEvents: string[] | null): void {
    this.db
      .prepare("UPDATE destinations SET route_events = ? WHERE workspace_id = ? AND id = ?")
      .run(routeEvents ? JSON.stringify(routeEvents) : null, workspaceId, id);
    this.routes.delete(workspaceId);
  }

  /** Atomic with the count: the writer thread runs one operation at a time. */
  createDestinationWithinLimit(d: DestinationRecord, limit: number): DestinationRecord | null {
    const { n } = this.db
      .prepare("SELECT COUNT(*) AS n FROM destinations WHERE workspace_id = ? AND deleted = 0")
      .get(d.workspaceId) as { n: number };
    return n >= limit ? null : this.createDestination(d);
  }

  initKeyCheck(sealed: string, now: number): string {
    this.db
      .prepare("INSERT OR IGNORE INTO key_check (id, sealed, created_at) VALUES (1, ?, ?)")
      .run(sealed, now);
    return (this.db.prepare("SELECT sealed FROM key_check WHERE id = 1").get() as { sealed: string }).sealed;
  }

  deleteDestination(workspaceId: string, id: string): boolean {
    this.routes.delete(workspaceId);
    const r = this.db
      .prepare("UPDATE destinations SET deleted = 1 WHERE workspace_id = ? AND id = ? AND deleted = 0")
      .run(workspaceId, id);
    this.db
      .prepare(
        "UPDATE deliveries SET status = 'failed', last_error = 'destination deleted' WHERE destination_id = ? AND status = 'pending'",
      )
      .run(id);
    return r.changes > 0;
  }

  claimDeliveries(
    destinationId: string,
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): DeliveryJob[] {
    // ORDER BY must follow the deliveries_due index (ties by rowid, which the index carries):
    // a tie-break on `id` made SQLite sort the whole backlog on every claim.
    const select = (this.s.claimDue ??= this.db.prepare(
      `SELECT d.id AS delivery_id, d.destination_id, d.attempts, d.created_at AS delivery_created_at,
              d.kind AS delivery_kind, d.event_ref AS delivery_ref, d.payload AS delivery_payload, e.*
       FROM deliveries d LEFT JOIN events e ON e.id = d.event_ref AND d.kind = 'event'
       WHERE d.destination_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?
       ORDER BY d.next_attempt_at, d.rowid LIMIT ?`,
    ));
    const rows = select.all(destinationId, now, now, limit) as (EventRow & {
      delivery_id: string;
      destination_id: string;
      attempts: number;
      delivery_created_at: number;
      delivery_kind: string;
      delivery_ref: string;
      delivery_payload: string | null;
    })[];
    const lease = (this.s.leaseDelivery ??= this.db.prepare(
      "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
    ));
    return rows.map((r): DeliveryJob => {
      lease.run(owner, now + leaseMs, r.delivery_id);
      const base = {
        id: r.delivery_id,
        destinationId: r.destination_id,
        attempts: r.attempts,
        createdAt: r.delivery_created_at,
      };
      return r.delivery_kind === "event"
        ? { ...base, kind: "event", event: eventFromRow(r) }
        : { ...base, kind: "signal", ref: r.delivery_ref, payload: JSON.parse(r.delivery_payload ?? "null") };
    });
  }

  completeDeliveries(updates: DeliveryUpdate[], owner: string): void {
    // `status = 'pending'`: a row changed meanwhile (its destination deleted, say) is not revived.
    const st = (this.s.completeDelivery ??= this.db.prepare(
      `UPDATE deliveries SET status = ?, attempts = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?,
         delivered_at = ?, dedup_id = ?, lease_owner = NULL, lease_until = 0
       WHERE id = ? AND status = 'pending' AND (lease_owner = ? OR lease_owner IS NULL)`,
    ));
    for (const u of updates) {
      st.run(
        u.status,
        u.attempts,
        u.lastStatusCode,
        u.lastError,
        u.nextAttemptAt ?? 0,
        u.deliveredAt,
        u.dedupId,
        u.id,
        owner,
      );
    }
  }

  replayDead(workspaceId: string, destinationId: string, now: number): number {
    return this.db
      .prepare(
        `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_until = 0
         WHERE workspace_id = ? AND destination_id = ? AND status = 'dead'`,
      )
      .run(now, workspaceId, destinationId).changes;
  }

  /**
   * Scrubs the person (see Erasure) inside the group transaction and logs it. The byte
   * patterns it leaves in `erasurePatterns` are checked against the files by the worker after
   * COMMIT (wipe-file.ts), before anyone is told the erasure is done.
   */
  erase(workspaceId: string, identifiers: Identifier[]): number {
    const requested = identifiers.map((i) => `${i.kind}:${i.value}`);
    const persons = new Set<string>();
    for (const ident of requested) {
      const row = this.s.identOf!.get(workspaceId, ident) as { person: string } | undefined;
      if (row) persons.add(row.person);
    }
    const idents = new Set(requested);
    const identsOf = this.db.prepare("SELECT ident FROM identities WHERE workspace_id = ? AND person = ?");
    for (const p of persons)
      for (const r of identsOf.all(workspaceId, p) as { ident: string }[]) idents.add(r.ident);
    const erasure = new Erasure(idents);

    const own = this.scrubEvents(workspaceId, erasure);
    this.scrubTouches(workspaceId, [...persons], erasure);
    this.scrubDeliveries(workspaceId, own, erasure);
    let n = 0;
    const del = this.db.prepare("DELETE FROM identities WHERE workspace_id = ? AND person = ?");
    for (const p of persons) n += del.run(workspaceId, p).changes;
    this.db
      .prepare("INSERT INTO erasures (id, workspace_id, erased_at, identifiers) VALUES (?, ?, ?, ?)")
      .run(newId("era"), workspaceId, Date.now(), n);
    this.erasurePatterns.push(...erasure.patterns());
    return n;
  }

  /** Patterns of the erasures in the committed group (and forgets them). */
  takeErasurePatterns(): string[] {
    return this.erasurePatterns.splice(0);
  }

  /**
   * Rewrites every event that mentions the person (a scan: erasure is rare); returns the
   * person's own events, with the user data each held.
   */
  private scrubEvents(workspaceId: string, erasure: Erasure): Map<string, string[]> {
    const rows = new Map<string, string>();
    const needles = erasure.needles();
    for (let i = 0; i < needles.length; i += 50) {
      const chunk = needles.slice(i, i + 50);
      const found = this.db
        .prepare(
          `SELECT id, payload FROM events WHERE workspace_id = ? AND (${chunk.map(() => "instr(payload, ?) > 0").join(" OR ")})`,
        )
        .all(workspaceId, ...chunk) as { id: string; payload: string }[];
      for (const r of found) rows.set(r.id, r.payload);
    }
    const update = this.db.prepare(
      "UPDATE events SET payload = ?, ip_enc = CASE WHEN ? = 1 THEN NULL ELSE ip_enc END WHERE id = ?",
    );
    const own = new Map<string, string[]>();
    for (const [id, payload] of rows) {
      const s = erasure.scrubPayload(payload);
      if (!s) continue;
      update.run(s.payload, s.hit ? 1 : 0, id);
      if (s.hit) own.set(id, s.userValues);
    }
    return own;
  }

  /** Touches stay (counts, credit) with platform, campaign, ad and time, but belong to no one. */
  private scrubTouches(workspaceId: string, persons: string[], erasure: Erasure): void {
    const byPerson = this.db.prepare(
      "UPDATE touches SET person = NULL, click_id = NULL, touch_id = NULL WHERE workspace_id = ? AND person = ?",
    );
    for (const p of persons) byPerson.run(workspaceId, p);
    const byClick = this.db.prepare(
      "UPDATE touches SET click_id = NULL WHERE workspace_id = ? AND click_id = ?",
    );
    for (const ident of erasure.idents) byClick.run(workspaceId, ident);
    const needles = erasure.touchIdNeedles();
    for (let i = 0; i < needles.length; i += 50) {
      const chunk = needles.slice(i, i + 50);
      this.db
        .prepare(
          `UPDATE touches SET touch_id = NULL WHERE workspace_id = ? AND touch_id IS NOT NULL
           AND (${chunk.map(() => "instr(touch_id, ?) > 0").join(" OR ")})`,
        )
        .run(workspaceId, ...chunk);
    }
  }

  /** Delivery errors may quote what a platform echoed of the event. */
  private scrubDeliveries(workspaceId: string, own: Map<string, string[]>, erasure: Erasure): void {
    const update = this.db.prepare("UPDATE deliveries SET last_error = ? WHERE id = ?");
    const ofEvent = this.db.prepare(
      "SELECT id, last_error FROM deliveries WHERE event_ref = ? AND last_error IS NOT NULL",
    );
    for (const [ref, userValues] of own)
      for (const d of ofEvent.all(ref) as { id: string; last_error: string }[]) {
        const text = erasure.redactOwnError(d.last_error, userValues);
        if (text !== d.last_error) update.run(text, d.id);
      }
    const needles = erasure.needles();
    for (let i = 0; i < needles.length; i += 50) {
      const chunk = needles.slice(i, i + 50);
      const rows = this.db
        .prepare(
          `SELECT id, last_error FROM deliveries WHERE workspace_id = ? AND last_error IS NOT NULL
           AND (${chunk.map(() => "instr(last_error, ?) > 0").join(" OR ")})`,
        )
        .all(workspaceId, ...chunk) as { id: string; last_error: string }[];
      for (const d of rows) {
        const text = erasure.redactText(d.last_error);
        if (text !== d.last_error) update.run(text, d.id);
      }
    }
  }

  purge(now: number, dedupBefore: number, ipBefore: number): void {
    this.db.prepare("DELETE FROM dedup_keys WHERE received_at < ?").run(dedupBefore);
    this.db
      .prepare("UPDATE events SET ip_enc = NULL WHERE ip_enc IS NOT NULL AND received_at < ?")
      .run(ipBefore);
    this.db.prepare("DELETE FROM sessions WHERE expires_at < ?").run(now);
  }

  createSession(s: Session): void {
    this.db
      .prepare("INSERT INTO sessions (id_hash, csrf_token, expires_at) VALUES (?, ?, ?)")
      .run(s.idHash, s.csrfToken, s.expiresAt);
  }

  deleteSession(idHash: string): void {
    this.db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
  }

  rotateWorkspaceKey(
    workspaceId: string,
    kind: WorkspaceKeyKind,
    newValue: string,
    oldExpiresAt: number,
    now: number,
  ): Workspace | null {
    return rotateKey(this.db, workspaceId, kind, newValue, oldExpiresAt, now);
  }

  /** Recomputes stored credits of conversions in [from, to) from the touches known now. */
  reattribute(
    workspaceId: string | null,
    from: number,
    to: number,
    windows: Record<string, Record<string, { clickWindowDays: number; viewWindowDays: number }>>,
  ): number {
    const rows = this.db
      .prepare(
        `SELECT id, workspace_id, event_name, event_time, value, currency, payload FROM events
         WHERE is_conversion = 1 AND test_event_code IS NULL AND event_time >= ? AND event_time < ? ${workspaceId ? "AND workspace_id = ?" : ""}`,
      )
      .all(...(workspaceId ? [from, to, workspaceId] : [from, to])) as {
      id: string;
      workspace_id: string;
      event_name: string;
      event_time: number;
      value: number | null;
      currency: string | null;
      payload: string;
    }[];
    const del = this.db.prepare("DELETE FROM credits WHERE event_ref = ?");
    const setAttr = this.db.prepare("UPDATE events SET attributed = ? WHERE id = ?");
    for (const r of rows) {
      const w = windows[r.workspace_id]?.[r.event_name];
      // An erased person's conversion keeps the credit it had: its links are gone on purpose.
      if (!w) continue;
      const stored = JSON.parse(r.payload) as { i?: Identifier[]; e?: 1 };
      if (stored.e === 1) continue;
      const idents = stored.i ?? [];
      let person: string | null = null;
      for (const id of idents) {
        const row = this.s.identOf!.get(r.workspace_id, `${id.kind}:${id.value}`) as
          { person: string } | undefined;
        if (row) {
          person = row.person;
          break;
        }
      }
      const credits = person
        ? creditRowsOf(
            this.touchesOf(
              r.workspace_id,
              person,
              lookbackStart(r.event_time, w),
              r.event_time,
              ATTRIBUTION_TOUCH_LIMIT,
            ),
            r.event_time,
            w,
          )
        : emptyCredits();
      del.run(r.id);
      this.insertCredits(r.id, r.workspace_id, r.event_time, r.value, r.currency, credits);
      setAttr.run(credits.last_click.length > 0 ? 1 : 0, r.id);
    }
    return rows.length;
  }
}
