/**
 * Writes of the PostgreSQL store that are not on the ingest path: workspaces, links,
 * destinations, the outbox's claim/complete, erasure, purge, sessions and reattribution.
 * Each runs in its own transaction on a pooled connection (`synchronous_commit` on: durable
 * when it resolves); the high-rate writes go through the group committer instead.
 */
import type pg from "pg";
import type { CommitCore, WindowsByWorkspace } from "../../commit/tx.js";
import { workspacePatchColumns } from "../workspace-patch.js";
import type { Identifier } from "../../domain/event.js";
import { newId } from "../../domain/ids.js";
import type { ConversionAction, Workspace } from "../../domain/workspace.js";
import { EVENT_READ_COLUMNS, type EventRow } from "../event-row.js";
import { deliveryJobOf, type ClaimedDeliveryRow } from "../delivery-row.js";
import type {
  DeliveryJob,
  DeliveryUpdate,
  DestinationRecord,
  Link,
  NewWorkspace,
  Session,
  WorkspaceKeys,
  WorkspacePatch,
} from "../storage.js";
import { destinationsLockKey } from "./destination-lock.js";
import { readByEventIds } from "./partitions.js";
import { PgCommitTx } from "./pg-commit-tx.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";

/** Runs `fn` in a transaction on one pooled connection; a connection that broke is not reused. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    try {
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch((e: Error) => (broken = e));
      throw err;
    }
  } finally {
    client.release(broken);
  }
}

import { Erasure } from "../erase-payload.js";

export class PgWrites {
  constructor(
    private readonly pool: pg.Pool,
    private readonly core: CommitCore,
  ) {}

  createWorkspace(input: NewWorkspace, keys: WorkspaceKeys, actions: ConversionAction[]): Promise<Workspace> {
    return inTransaction(this.pool, async (c) => {
      const id = newId("ws");
      const now = Date.now();
      const row = await c.query<WorkspaceRow>(
        `INSERT INTO workspaces (id, name, currency, timezone, public_key, secret_key_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [id, input.name, input.currency, input.timezone, keys.publicKey, keys.secretKeyHash, now],
      );
      if (actions.length > 0) {
        await c.query(
          `INSERT INTO conversion_actions (workspace_id, name, required, click_window_days, view_window_days, created_at)
           SELECT $1, name, req::jsonb, cw, vw, $2 + ord - 1
           FROM unnest($3::text[], $4::text[], $5::float8[], $6::float8[]) WITH ORDINALITY AS t(name, req, cw, vw, ord)`,
          [
            id,
            now,
            actions.map((a) => a.name),
            actions.map((a) => JSON.stringify(a.required)),
            actions.map((a) => a.clickWindowDays),
            actions.map((a) => a.viewWindowDays),
          ],
        );
      }
      return rowToWorkspace(row.rows[0]!);
    });
  }

  async updateWorkspace(id: string, patch: WorkspacePatch): Promise<Workspace | null> {
    const vals: unknown[] = [id];
    const sets = workspacePatchColumns(patch).map(({ column, value }) => {
      vals.push(value);
      return `${column} = $${vals.length}${column === "allowed_origins" ? "::jsonb" : ""}`;
    });
    const r = sets.length
      ? await this.pool.query<WorkspaceRow>(
          `UPDATE workspaces SET ${sets.join(", ")} WHERE id = $1 RETURNING *`,
          vals,
        )
      : await this.pool.query<WorkspaceRow>("SELECT * FROM workspaces WHERE id = $1", vals);
    return r.rows[0] ? rowToWorkspace(r.rows[0]) : null;
  }

  async upsertConversionAction(workspaceId: string, a: ConversionAction): Promise<ConversionAction> {
    await this.pool.query(
      `INSERT INTO conversion_actions (workspace_id, name, required, click_window_days, view_window_days, created_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6)
       ON CONFLICT (workspace_id, name) DO UPDATE SET required = excluded.required,
         click_window_days = excluded.click_window_days, view_window_days = excluded.view_window_days`,
      [workspaceId, a.name, JSON.stringify(a.required), a.clickWindowDays, a.viewWindowDays, Date.now()],
    );
    return a;
  }

  async createLink(link: Link): Promise<Link> {
    await this.pool.query(
      "INSERT INTO links (id, workspace_id, destination_url, platform, campaign, ad, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [link.id, link.workspaceId, link.destinationUrl, link.platform, link.campaign, link.ad, link.createdAt],
    );
    return link;
  }

  /** Under the workspace's destinations lock, exclusively: see destination-lock.ts. */
  createDestination(d: DestinationRecord): Promise<DestinationRecord> {
    return this.createDestinationWithinLimit(d, Infinity) as Promise<DestinationRecord>;
  }

  setDestinationRoute(workspaceId: string, id: string, routeEvents: string[] | null): Promise<void> {
    return inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${destinationsLockKey("$1::text")})`, [workspaceId]);
      await c.query("UPDATE destinations SET route_events = $3::jsonb WHERE workspace_id = $1 AND id = $2", [
        workspaceId,
        id,
        routeEvents ? JSON.stringify(routeEvents) : null,
      ]);
    });
  }

  /**
   * The count and the insert under the workspace's destinations lock, taken exclusively (the
   * commit takes it shared, see destination-lock.ts): two nodes creating the 50th destination
   * at once are serialized, and an event either committed before the destination existed or
   * is routed to it.
   */
  createDestinationWithinLimit(d: DestinationRecord, limit: number): Promise<DestinationRecord | null> {
    const route = d.routeEvents === undefined ? d.events : d.routeEvents;
    return inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${destinationsLockKey("$1::text")})`, [d.workspaceId]);
      if (Number.isFinite(limit)) {
        const { n } = (
          await c.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM destinations WHERE workspace_id = $1 AND NOT deleted",
            [d.workspaceId],
          )
        ).rows[0]!;
        if (n >= limit) return null;
      }
      await c.query(
        "INSERT INTO destinations (id, workspace_id, type, name, events, config_enc, created_at, route_events) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb)",
        [
          d.id,
          d.workspaceId,
          d.type,
          d.name,
          d.events ? JSON.stringify(d.events) : null,
          d.configEnc,
          d.createdAt,
          route ? JSON.stringify(route) : null,
        ],
      );
      return { ...d, routeEvents: route };
    });
  }

  deleteDestination(workspaceId: string, id: string): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${destinationsLockKey("$1::text")})`, [workspaceId]);
      const r = await c.query(
        "UPDATE destinations SET deleted = true WHERE workspace_id = $1 AND id = $2 AND NOT deleted",
        [workspaceId, id],
      );
      await c.query(
        "UPDATE deliveries SET status = 'failed', last_error = 'destination deleted' WHERE workspace_id = $1 AND destination_id = $2 AND status = 'pending'",
        [workspaceId, id],
      );
      return r.rowCount === 1;
    });
  }

  /**
   * `FOR UPDATE SKIP LOCKED` lets workers on every node claim at once without waiting on or
   * taking each other's rows; the lease makes the claim outlive the statement, and once it
   * passes (a worker that crashed) the row is due again.
   */
  async claimDeliveries(
    workspaceId: string,
    destinationId: string,
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): Promise<DeliveryJob[]> {
    // Claimed, then the claimed rows' events read, in one transaction: a failed read leaves no
    // lease behind.
    const { r, events } = await inTransaction(this.pool, async (c) => {
      const r = await c.query<ClaimedDeliveryRow>(
        `WITH due AS (
         SELECT id FROM deliveries
         WHERE workspace_id = $6 AND destination_id = $1 AND status = 'pending' AND next_attempt_at <= $2
           AND lease_until <= $2
         ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE deliveries d SET lease_owner = $4, lease_until = $5 FROM due WHERE d.workspace_id = $6 AND d.id = due.id
         RETURNING d.id, d.destination_id, d.attempts, d.created_at, d.event_ref, d.next_attempt_at, d.kind, d.payload)
       SELECT c.id AS delivery_id, c.destination_id, c.attempts, c.created_at AS delivery_created_at,
              c.kind AS delivery_kind, c.event_ref AS delivery_ref, c.payload AS delivery_payload
       FROM claimed c ORDER BY c.next_attempt_at, c.id`,
        [destinationId, now, limit, owner, now + leaseMs, workspaceId],
      );
      // The claimed rows' events, read in the partitions their ids name (a join by id would
      // probe every monthly partition's key for each row). Read by a statement after the claim's,
      // an event shows what committed in between (a supersede, an adjustment, an erasure), as on
      // any retry of the delivery: a superseded event's delivery is sent again anyway, and an
      // adjustment made in between reaches the platform in the event and as its own adjustment.
      const refs = [
        ...new Set(
          r.rows
            .filter((x) => x.delivery_kind === "event" || x.delivery_kind === "adjustment")
            .map((x) => x.delivery_ref),
        ),
      ];
      const events =
        refs.length === 0
          ? new Map<string, EventRow>()
          : await readByEventIds(
              refs,
              async (ids, span) =>
                (
                  await c.query<EventRow>(
                    span === null
                      ? // By id alone, each id probing the partitions' keys until it is found (the
                        // planner reads `id = ANY` over every partition as scans of them all).
                        `SELECT e.* FROM unnest($2::text[]) AS k(id) CROSS JOIN LATERAL
                       (SELECT ${EVENT_READ_COLUMNS} FROM events WHERE workspace_id = $1 AND id = k.id LIMIT 1) AS e`
                      : `SELECT ${EVENT_READ_COLUMNS} FROM events
                     WHERE workspace_id = $1 AND id = ANY($2::text[]) AND received_at BETWEEN $3 AND $4`,
                    span === null ? [workspaceId, ids] : [workspaceId, ids, ...span],
                  )
                ).rows,
            );
      return { r, events };
    });
    return r.rows.map((x) => deliveryJobOf(x, events.get(x.delivery_ref) ?? null));
  }

  async completeDeliveries(workspaceId: string, updates: DeliveryUpdate[], owner: string): Promise<void> {
    if (updates.length === 0) return;
    const col = <T>(f: (u: DeliveryUpdate) => T): T[] => updates.map(f);
    // Only the lease holder (or nobody, after a replay) may settle a delivery.
    await this.pool.query(
      `UPDATE deliveries d SET status = u.status, attempts = u.attempts, last_status_code = u.code, last_error = u.err,
         next_attempt_at = u.next, delivered_at = u.delivered, dedup_id = u.dedup, lease_owner = NULL, lease_until = 0
       FROM unnest($1::text[], $2::text[], $3::int4[], $4::int4[], $5::text[], $6::int8[], $7::int8[], $8::text[])
         AS u(id, status, attempts, code, err, next, delivered, dedup)
       WHERE d.workspace_id = $10 AND d.id = u.id AND d.status = 'pending' AND (d.lease_owner = $9 OR d.lease_owner IS NULL)`,
      [
        col((u) => u.id),
        col((u) => u.status),
        col((u) => u.attempts),
        col((u) => u.lastStatusCode),
        col((u) => u.lastError),
        col((u) => u.nextAttemptAt ?? 0),
        col((u) => u.deliveredAt),
        col((u) => u.dedupId),
        owner,
        workspaceId,
      ],
    );
  }

  async replayDead(workspaceId: string, destinationId: string, now: number): Promise<number> {
    const r = await this.pool.query(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3, lease_owner = NULL, lease_until = 0
       WHERE workspace_id = $1 AND destination_id = $2 AND status = 'dead'`,
      [workspaceId, destinationId, now],
    );
    return r.rowCount ?? 0;
  }

  /**
   * The same scrub as the SQLite store (see Erasure), in one transaction that locks the
   * person rows first, like the commit does, so an erasure never races a merge. Then VACUUM
   * of the tables it rewrote, so the old row versions are pruned now rather than whenever
   * autovacuum comes by. Their bytes can still linger in free space, WAL segments, replicas
   * and backups: docs/privacy.md says what is and is not promised on PostgreSQL.
   */
  async erase(workspaceId: string, identifiers: Identifier[]): Promise<number> {
    const requested = identifiers.map((i) => `${i.kind}:${i.value}`);
    const n = await inTransaction(this.pool, async (c) => {
      const personsOf = async () =>
        [
          ...new Set(
            (
              await c.query<{ person: string }>(
                "SELECT person FROM identities WHERE workspace_id = $1 AND ident = ANY($2::text[])",
                [workspaceId, requested],
              )
            ).rows.map((r) => r.person),
          ),
        ].sort();
      let persons = await personsOf();
      for (let pass = 0; persons.length > 0; pass++) {
        await c.query(
          "SELECT id FROM persons WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE",
          [workspaceId, persons],
        );
        const again = await personsOf();
        if (again.join() === persons.join() || pass > 20) break;
        persons = again;
      }
      const idents = new Set(requested);
      if (persons.length > 0)
        for (const r of (
          await c.query<{ ident: string }>(
            "SELECT ident FROM identities WHERE workspace_id = $1 AND person = ANY($2::text[])",
            [workspaceId, persons],
          )
        ).rows)
          idents.add(r.ident);
      const erasure = new Erasure(idents);
      const mentions = (col: string, param: string) =>
        `EXISTS (SELECT 1 FROM unnest(${param}::text[]) AS n(x) WHERE strpos(${col}, n.x) > 0)`;

      // events
      const rows = await c.query<{ id: string; payload: string }>(
        `SELECT id, payload FROM events WHERE workspace_id = $1 AND ${mentions("payload", "$2")} ORDER BY id FOR UPDATE`,
        [workspaceId, erasure.needles()],
      );
      const own = new Map<string, string[]>();
      for (const row of rows.rows) {
        const scrubbed = erasure.scrubPayload(row.payload);
        if (!scrubbed) continue;
        await c.query(
          `UPDATE events SET payload = $1, ip_enc = CASE WHEN $2 THEN NULL ELSE ip_enc END, quality_key = NULL
           WHERE workspace_id = $4 AND id = $3`,
          [scrubbed.payload, scrubbed.hit, row.id, workspaceId],
        );
        if (scrubbed.hit) own.set(row.id, scrubbed.userValues);
      }

      // touches: they stay (counts, credit) with platform, campaign, ad and time, but belong to no one
      await c.query(
        `UPDATE touches SET person = NULL, click_id = NULL, touch_id = NULL, quality_key = NULL
         WHERE workspace_id = $1 AND person = ANY($2::text[])`,
        [workspaceId, persons],
      );
      await c.query(
        "UPDATE touches SET click_id = NULL WHERE workspace_id = $1 AND click_id = ANY($2::text[])",
        [workspaceId, [...erasure.idents]],
      );
      await c.query(
        `UPDATE touches SET touch_id = NULL WHERE workspace_id = $1 AND touch_id IS NOT NULL AND ${mentions("touch_id", "$2")}`,
        [workspaceId, erasure.touchIdNeedles()],
      );

      // delivery errors may quote what a platform echoed of the event
      const errors = await c.query<{ id: string; event_ref: string; last_error: string }>(
        `SELECT id, event_ref, last_error FROM deliveries WHERE workspace_id = $1 AND last_error IS NOT NULL
         AND (event_ref = ANY($2::text[]) OR ${mentions("last_error", "$3")})`,
        [workspaceId, [...own.keys()], erasure.needles()],
      );
      for (const d of errors.rows) {
        const userValues = own.get(d.event_ref);
        const text = userValues
          ? erasure.redactOwnError(d.last_error, userValues)
          : erasure.redactText(d.last_error);
        if (text !== d.last_error)
          await c.query("UPDATE deliveries SET last_error = $1 WHERE workspace_id = $2 AND id = $3", [
            text,
            workspaceId,
            d.id,
          ]);
      }
      // live-feed messages parked for other nodes (test events show what was received)
      await c.query(`DELETE FROM live_spill WHERE ${mentions("payload", "$1")}`, [erasure.needles()]);

      const gone = await c.query(
        "DELETE FROM identities WHERE workspace_id = $1 AND person = ANY($2::text[])",
        [workspaceId, persons],
      );
      await c.query("DELETE FROM persons WHERE workspace_id = $1 AND id = ANY($2::text[])", [
        workspaceId,
        persons,
      ]);
      const count = gone.rowCount ?? 0;
      await c.query(
        "INSERT INTO erasures (id, workspace_id, erased_at, identifiers) VALUES ($1, $2, $3, $4)",
        [newId("era"), workspaceId, Date.now(), count],
      );
      return count;
    });
    // Best effort, bounded by the statement timeout: the erasure itself is committed.
    await this.pool
      .query("VACUUM (SKIP_LOCKED) events, touches, identities, persons, deliveries, live_spill")
      .catch(() => undefined);
    return n;
  }

  async purge(now: number, dedupBefore: number, ipBefore: number): Promise<void> {
    await this.pool.query("DELETE FROM dedup_keys WHERE received_at < $1", [dedupBefore]);
    await this.pool.query("UPDATE events SET ip_enc = NULL WHERE ip_enc IS NOT NULL AND received_at < $1", [
      ipBefore,
    ]);
    await this.pool.query("DELETE FROM sessions WHERE expires_at < $1", [now]);
    // Quality counters idle for an hour (the longest window) hold nothing that still counts.
    await this.pool.query("DELETE FROM quality_counters WHERE last_at < $1", [now - 3_600_000]);
    await this.pool.query("DELETE FROM live_spill WHERE created_at < $1", [now - 3_600_000]);
  }

  async createSession(s: Session): Promise<void> {
    await this.pool.query("INSERT INTO sessions (id_hash, csrf_token, expires_at) VALUES ($1, $2, $3)", [
      s.idHash,
      s.csrfToken,
      s.expiresAt,
    ]);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.pool.query("DELETE FROM sessions WHERE id_hash = $1", [idHash]);
  }

  /** Recomputes stored credits of conversions in [from, to) (commit/reattribute.ts), in one transaction. */
  reattribute(
    workspaceId: string | null,
    from: number,
    to: number,
    windows: WindowsByWorkspace,
  ): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      await c.query("SET LOCAL statement_timeout = 0"); // a batch job, not a request
      const tx = new PgCommitTx(c, 0);
      const n = await this.core.reattribute(tx, workspaceId, from, to, windows);
      await tx.writeCreditRollup();
      await tx.settle(); // before COMMIT: a failed write must not turn it into a silent ROLLBACK
      return n;
    });
  }
}
