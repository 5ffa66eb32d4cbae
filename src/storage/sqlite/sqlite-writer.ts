/**
 * The SQLite write side: every statement that changes the embedded store. It runs inside the
 * writer worker thread (sqlite-writer-worker.ts), which groups queued operations into one
 * transaction and one fsync, so the main thread keeps parsing requests while the disk syncs.
 */
import Database from "better-sqlite3";
import { newId } from "../../domain/ids.js";
import type { Identifier, NormalizedEvent, TouchInput } from "../../domain/event.js";
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
import { rotateWorkspaceKey as rotateKey } from "./workspace-keys.js";
import { identValues, scrubPayload } from "../erase-payload.js";
import { workspacePatchColumns } from "../workspace-patch.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";
import type {
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
           event_id, order_id, value, currency, attributed, payload, ip_enc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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

  insertEvent(ev: NormalizedEvent, credits: Record<ModelName, CreditRow[]> | null): void {
    const { client_ip_enc, ...user } = ev.user;
    const attributed = credits !== null && credits.last_click.length > 0 ? 1 : 0;
    const payload = JSON.stringify({
      u: user,
      c: ev.customData,
      k: ev.consent,
      a: ev.actionSource,
      s: ev.eventSourceUrl,
      i: ev.identifiers,
    });
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
      client_ip_enc ?? null,
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
  }

  discardOp(): void {
    this.opRollups.drain();
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
    this.db
      .prepare(
        "INSERT INTO destinations (id, workspace_id, type, name, events, config_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        d.id,
        d.workspaceId,
        d.type,
        d.name,
        d.events ? JSON.stringify(d.events) : null,
        d.configEnc,
        d.createdAt,
      );
    return d;
  }

  deleteDestination(workspaceId: string, id: string): boolean {
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
      `SELECT d.id AS delivery_id, d.destination_id, d.attempts, d.created_at AS delivery_created_at, e.*
       FROM deliveries d JOIN events e ON e.id = d.event_ref
       WHERE d.destination_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?
       ORDER BY d.next_attempt_at, d.rowid LIMIT ?`,
    ));
    const rows = select.all(destinationId, now, now, limit) as (EventRow & {
      delivery_id: string;
      destination_id: string;
      attempts: number;
      delivery_created_at: number;
    })[];
    const lease = (this.s.leaseDelivery ??= this.db.prepare(
      "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
    ));
    return rows.map((r) => {
      lease.run(owner, now + leaseMs, r.delivery_id);
      return {
        id: r.delivery_id,
        destinationId: r.destination_id,
        attempts: r.attempts,
        createdAt: r.delivery_created_at,
        event: eventFromRow(r),
      };
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

  erase(workspaceId: string, identifiers: Identifier[]): number {
    const persons = new Set<string>();
    for (const id of identifiers) {
      const row = this.s.identOf!.get(workspaceId, `${id.kind}:${id.value}`) as
        { person: string } | undefined;
      if (row) persons.add(row.person);
    }
    let n = 0;
    for (const p of persons) {
      const idents = (
        this.db
          .prepare("SELECT ident FROM identities WHERE workspace_id = ? AND person = ?")
          .all(workspaceId, p) as { ident: string }[]
      ).map((r) => r.ident);
      this.scrubEvents(workspaceId, idents);
      n += this.db
        .prepare("DELETE FROM identities WHERE workspace_id = ? AND person = ?")
        .run(workspaceId, p).changes;
      // Touches stay for the aggregate counts, but no longer belong to anyone.
      this.db
        .prepare("UPDATE touches SET person = NULL WHERE workspace_id = ? AND person = ?")
        .run(workspaceId, p);
    }
    return n;
  }

  /** Removes the person's user data and identifiers from their stored events (a scan: erasure is rare). */
  private scrubEvents(workspaceId: string, idents: string[]): void {
    const erased = new Set(idents);
    const find = this.db.prepare(
      "SELECT id, payload FROM events WHERE workspace_id = ? AND instr(payload, ?) > 0",
    );
    const update = this.db.prepare("UPDATE events SET payload = ?, ip_enc = NULL WHERE id = ?");
    for (const value of identValues(idents)) {
      for (const row of find.all(workspaceId, JSON.stringify(value).slice(1, -1)) as {
        id: string;
        payload: string;
      }[]) {
        const scrubbed = scrubPayload(row.payload, erased);
        if (scrubbed !== null) update.run(scrubbed, row.id);
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
      if (!w) continue;
      const idents = (JSON.parse(r.payload) as { i?: Identifier[] }).i ?? [];
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
