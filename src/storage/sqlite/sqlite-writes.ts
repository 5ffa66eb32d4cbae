/**
 * Writes of the SQLite store that are not on the ingest path: workspaces, conversion actions,
 * links, destinations, the outbox's claim/complete/replay, erasure, purge, sessions and key
 * rotation — the counterpart of storage/postgres/pg-writes.ts. Each runs as one operation of
 * the writer thread's group transaction (group-committer.ts), so it is durable when answered.
 */
import type Database from "better-sqlite3";
import { newId } from "../../domain/ids.js";
import type { Identifier } from "../../domain/event.js";
import type { ConversionAction, Workspace } from "../../domain/workspace.js";
import { Erasure } from "../erase-payload.js";
import { EVENT_READ_COLUMNS } from "../event-row.js";
import type { ClaimedEventRow } from "../delivery-row.js";
import type {
  DeliveryUpdate,
  DestinationRecord,
  Link,
  NewWorkspace,
  Session,
  WorkspaceKeyKind,
  WorkspaceKeys,
  WorkspacePatch,
} from "../storage.js";
import { workspacePatchColumns } from "../workspace-patch.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";
import { rotateWorkspaceKey as rotateKey } from "./workspace-keys.js";

/** What the commit side caches and must hear about when it changes. */
export interface WriteHooks {
  onWorkspaceChanged(workspaceId: string): void;
  onDestinationsChanged(workspaceId: string): void;
}

export class SqliteWrites {
  private claimDue: Database.Statement | undefined;
  private leaseDeliveries: Database.Statement | undefined;
  private completeDelivery: Database.Statement | undefined;
  private purgeKeys: Database.Statement | undefined;
  private purgeIps: Database.Statement | undefined;
  private purgeSessions: Database.Statement | undefined;
  /** Byte patterns of the group's erasures, checked against the files after COMMIT. */
  private erasurePatterns: string[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly hooks: WriteHooks,
  ) {}

  /** After a rollback: the rolled-back erasures are not to be checked. */
  discardGroup(): void {
    this.erasurePatterns = [];
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
    this.hooks.onWorkspaceChanged(id);
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
    this.hooks.onDestinationsChanged(d.workspaceId);
    return { ...d, routeEvents: route };
  }

  setDestinationRoute(workspaceId: string, id: string, routeEvents: string[] | null): void {
    this.db
      .prepare("UPDATE destinations SET route_events = ? WHERE workspace_id = ? AND id = ?")
      .run(routeEvents ? JSON.stringify(routeEvents) : null, workspaceId, id);
    this.hooks.onDestinationsChanged(workspaceId);
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
    this.hooks.onDestinationsChanged(workspaceId);
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
  ): ClaimedEventRow[] {
    // ORDER BY must follow the deliveries_due index (ties by rowid, which the index carries):
    // a tie-break on `id` made SQLite sort the whole backlog on every claim.
    const select = (this.claimDue ??= this.db.prepare(
      `SELECT d.rowid AS delivery_rowid, d.id AS delivery_id, d.destination_id, d.attempts, d.created_at AS delivery_created_at,
              d.kind AS delivery_kind, d.event_ref AS delivery_ref, d.payload AS delivery_payload, ${EVENT_READ_COLUMNS.split(
                ", ",
              )
                .map((c) => `e.${c}`)
                .join(", ")}
       FROM deliveries d LEFT JOIN events e ON e.id = d.event_ref AND d.kind IN ('event', 'adjustment')
       WHERE d.destination_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?
       ORDER BY d.next_attempt_at, d.rowid LIMIT ?`,
    ));
    // The event's columns come joined beside the delivery's (null when it has none).
    const rows = select.all(destinationId, now, now, limit) as (ClaimedEventRow & {
      delivery_rowid: number;
    })[];
    if (rows.length === 0) return [];
    // One statement leases the whole claim (by rowid, from a JSON array: one prepared statement).
    const lease = (this.leaseDeliveries ??= this.db.prepare(
      "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE rowid IN (SELECT value FROM json_each(?))",
    ));
    lease.run(owner, now + leaseMs, JSON.stringify(rows.map((r) => r.delivery_rowid)));
    // The rows go back as read: the store makes the jobs on its own thread (sqlite-store.ts),
    // which keeps this one, the outbox drain's busiest, to the statements.
    return rows;
  }

  completeDeliveries(updates: DeliveryUpdate[], owner: string): void {
    if (updates.length === 0) return;
    // One statement settles the batch: its rows as a JSON array of arrays, joined by id.
    // `status = 'pending'`: a row changed meanwhile (its destination deleted, say) is not revived.
    const st = (this.completeDelivery ??= this.db.prepare(
      `UPDATE deliveries SET status = u.value ->> 1, attempts = u.value ->> 2, last_status_code = u.value ->> 3,
         last_error = u.value ->> 4, next_attempt_at = u.value ->> 5, delivered_at = u.value ->> 6,
         dedup_id = u.value ->> 7, lease_owner = NULL, lease_until = 0
       FROM json_each(?) AS u
       WHERE deliveries.id = u.value ->> 0 AND deliveries.status = 'pending'
         AND (deliveries.lease_owner = ? OR deliveries.lease_owner IS NULL)`,
    ));
    const rows = updates.map((u) => [
      u.id,
      u.status,
      u.attempts,
      u.lastStatusCode,
      u.lastError,
      u.nextAttemptAt ?? 0,
      u.deliveredAt,
      u.dedupId,
    ]);
    st.run(JSON.stringify(rows), owner);
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
    const identOf = this.db.prepare("SELECT person FROM identities WHERE workspace_id = ? AND ident = ?");
    for (const ident of requested) {
      const row = identOf.get(workspaceId, ident) as { person: string } | undefined;
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
      "UPDATE events SET payload = ?, ip_enc = CASE WHEN ? = 1 THEN NULL ELSE ip_enc END, quality_key = NULL WHERE id = ?",
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
      "UPDATE touches SET person = NULL, click_id = NULL, touch_id = NULL, quality_key = NULL WHERE workspace_id = ? AND person = ?",
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

  /**
   * One slice of the purge: at most `limit` expired dedup keys deleted and `limit` sealed IPs
   * past retention cleared (oldest first, by their age indexes), expired sessions deleted.
   * Returns whether either kind had more. The store calls it again until nothing is left: a
   * purge in one statement held the writer, and every request's commit, for as long as it took
   * (1.75 s for a million keys, an hour's at 140 events a second).
   */
  purge(now: number, dedupBefore: number, ipBefore: number, limit: number): boolean {
    const keys = (this.purgeKeys ??= this.db.prepare(
      `DELETE FROM dedup_keys WHERE (workspace_id, key) IN
         (SELECT workspace_id, key FROM dedup_keys WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
    )).run(dedupBefore, limit).changes;
    const ips = (this.purgeIps ??= this.db.prepare(
      `UPDATE events SET ip_enc = NULL WHERE rowid IN
         (SELECT rowid FROM events WHERE ip_enc IS NOT NULL AND received_at < ? ORDER BY received_at LIMIT ?)`,
    )).run(ipBefore, limit).changes;
    (this.purgeSessions ??= this.db.prepare("DELETE FROM sessions WHERE expires_at < ?")).run(now);
    return keys === limit || ips === limit;
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
}
