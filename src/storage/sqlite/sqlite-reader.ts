/** Read queries of the embedded store, on a read-only connection beside the writer. */
import type Database from "better-sqlite3";
import type { ConversionAction, Workspace } from "../../domain/workspace.js";
import type {
  ArrivalRow,
  Bucket,
  ConversionQuery,
  ConversionRow,
  DeliveryRow,
  DeliveryStatus,
  DestinationRecord,
  ErasureRecord,
  Link,
  MetricsRow,
  ReportQuery,
  ReportResult,
  KeyMatch,
  Session,
  WorkspaceKeyKind,
} from "../storage.js";
import { findWorkspaceByKey as findKey } from "./workspace-keys.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";
import { joinCredits, type ConversionEventRow, type CreditDbRow } from "../conversion-rows.js";
import { aggregateBuckets, bucketStart } from "../../monitoring/buckets.js";
import { attributionRowsOf, creditSumsSql } from "../credit-rollup.js";
import type { CreditTotal } from "../spend-store.js";

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

interface DestinationRow {
  id: string;
  workspace_id: string;
  type: string;
  name: string;
  events: string | null;
  config_enc: string;
  created_at: number;
  route_events: string | null;
}
const toDestination = (r: DestinationRow): DestinationRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  type: r.type,
  name: r.name,
  events: r.events ? (JSON.parse(r.events) as string[]) : null,
  configEnc: r.config_enc,
  createdAt: r.created_at,
  routeEvents: r.route_events ? (JSON.parse(r.route_events) as string[]) : null,
});

export class SqliteReader {
  constructor(readonly db: Database.Database) {}

  close(): void {
    this.db.close();
  }

  ping(): void {
    this.db.prepare("SELECT 1").get();
  }

  listWorkspaces(): Workspace[] {
    return (this.db.prepare("SELECT * FROM workspaces ORDER BY created_at, id").all() as WorkspaceRow[]).map(
      rowToWorkspace,
    );
  }

  getWorkspace(id: string): Workspace | null {
    return this.workspaceWhere("id", id);
  }

  workspaceRowWhere(col: "id" | "public_key" | "secret_key_hash", value: string): WorkspaceRow | null {
    return (
      (this.db.prepare(`SELECT * FROM workspaces WHERE ${col} = ?`).get(value) as WorkspaceRow | undefined) ??
      null
    );
  }

  workspaceWhere(col: "id" | "public_key" | "secret_key_hash", value: string): Workspace | null {
    const row = this.workspaceRowWhere(col, value);
    return row ? rowToWorkspace(row) : null;
  }

  listConversionActions(workspaceId: string): ConversionAction[] {
    const rows = this.db
      .prepare(
        "SELECT name, required, click_window_days, view_window_days FROM conversion_actions WHERE workspace_id = ? ORDER BY created_at, name",
      )
      .all(workspaceId) as {
      name: string;
      required: string;
      click_window_days: number;
      view_window_days: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      required: JSON.parse(r.required) as string[],
      clickWindowDays: r.click_window_days,
      viewWindowDays: r.view_window_days,
    }));
  }

  getLink(id: string): Link | null {
    const r = this.db.prepare("SELECT * FROM links WHERE id = ?").get(id) as
      | {
          id: string;
          workspace_id: string;
          destination_url: string;
          platform: string;
          campaign: string;
          ad: string | null;
          created_at: number;
        }
      | undefined;
    return r
      ? {
          id: r.id,
          workspaceId: r.workspace_id,
          destinationUrl: r.destination_url,
          platform: r.platform,
          campaign: r.campaign,
          ad: r.ad,
          createdAt: r.created_at,
        }
      : null;
  }

  listConversions(workspaceId: string, q: ConversionQuery): ConversionRow[] {
    const where = ["workspace_id = ?", "is_conversion = 1", "test_event_code IS NULL"];
    const args: unknown[] = [workspaceId];
    if (q.from !== null) {
      where.push("event_time >= ?");
      args.push(q.from);
    }
    if (q.to !== null) {
      where.push("event_time < ?");
      args.push(q.to);
    }
    if (q.after) {
      where.push("(event_time < ? OR (event_time = ? AND id < ?))");
      args.push(q.after.eventTime, q.after.eventTime, q.after.id);
    }
    const rows = this.db
      .prepare(
        `SELECT id, event_name, event_time, received_at, value, currency, quality_score, quality_flags FROM events WHERE ${where.join(" AND ")}
         ORDER BY event_time DESC, id DESC LIMIT ?`,
      )
      .all(...args, q.limit) as ConversionEventRow[];
    if (rows.length === 0) return [];
    const credits = this.db
      .prepare(
        `SELECT event_ref, platform, campaign, ad, touch_time, credit FROM credits
         WHERE model = ? AND event_ref IN (${rows.map(() => "?").join(",")}) ORDER BY event_ref, ord`,
      )
      .all(q.model, ...rows.map((r) => r.id)) as CreditDbRow[];
    return joinCredits(rows, credits);
  }

  attributionReport(workspaceId: string, q: ReportQuery): ReportResult {
    const range: string[] = [];
    const args: unknown[] = [];
    if (q.from !== null) {
      range.push("event_time >= ?");
      args.push(q.from);
    }
    if (q.to !== null) {
      range.push("event_time < ?");
      args.push(q.to);
    }
    const rangeSql = range.length ? ` AND ${range.join(" AND ")}` : "";
    // Flagged conversions out (workspace setting `exclude`): their credits say so, as do their events.
    const eventSql = q.excludeFlagged ? `${rangeSql} AND quality_flags = 0` : rangeSql;
    // Credit sums from the credit rollup (storage/credit-rollup.ts), raw credits only at the edges.
    const sumArgs: unknown[] = [];
    const sums = this.db
      .prepare(creditSumsSql(workspaceId, q, (v) => (sumArgs.push(v), "?")))
      .all(...sumArgs) as CreditTotal[];
    const un = this.db
      .prepare(
        `SELECT COUNT(*) AS conversions, SUM(CASE WHEN currency IS NULL OR currency = ? THEN COALESCE(value, 0) ELSE 0 END) AS value
         FROM events WHERE workspace_id = ? AND is_conversion = 1 AND test_event_code IS NULL AND attributed = 0 AND retracted = 0${eventSql}`,
      )
      .get(q.currency, workspaceId, ...args) as { conversions: number; value: number | null };
    const other = this.db
      .prepare(
        `SELECT currency, COUNT(*) AS conversions, SUM(COALESCE(value, 0)) AS value FROM events
         WHERE workspace_id = ? AND is_conversion = 1 AND test_event_code IS NULL AND currency IS NOT NULL AND currency <> ? AND retracted = 0${eventSql}
         GROUP BY currency`,
      )
      .all(workspaceId, q.currency, ...args) as { currency: string; conversions: number; value: number }[];
    return {
      rows: attributionRowsOf(sums, q.groupBy, q.currency),
      unattributed: { conversions: un.conversions, value: round6(un.value ?? 0) },
      otherCurrencies: Object.fromEntries(
        other.map((o) => [o.currency, { conversions: o.conversions, value: round6(o.value) }]),
      ),
    };
  }

  metrics(workspaceId: string, from: number, to: number, bucket: Bucket): MetricsRow[] {
    const table = bucket === "minute" ? "rollups_minute" : "rollups_hour";
    const lo = bucketStart(from, bucket);
    const rows = this.db
      .prepare(`SELECT * FROM ${table} WHERE workspace_id = ? AND start >= ? AND start < ? ORDER BY start`)
      .all(workspaceId, lo, to) as (Omit<MetricsRow, "latency" | "pipeline"> & {
      latency: string | null;
      pipeline: string | null;
    })[];
    const parsed = rows.map((r) => ({
      ...r,
      latency: r.latency ? (JSON.parse(r.latency) as number[]) : [],
      pipeline: r.pipeline ? (JSON.parse(r.pipeline) as number[]) : [],
    }));
    return aggregateBuckets(parsed, from, to, bucket);
  }

  listDestinations(workspaceId: string | null): DestinationRecord[] {
    const rows = workspaceId
      ? this.db
          .prepare("SELECT * FROM destinations WHERE workspace_id = ? AND deleted = 0 ORDER BY created_at")
          .all(workspaceId)
      : this.db.prepare("SELECT * FROM destinations WHERE deleted = 0 ORDER BY created_at").all();
    return (rows as DestinationRow[]).map(toDestination);
  }

  listArrivals(workspaceId: string, eventRef: string): ArrivalRow[] {
    const rows = this.db
      .prepare(
        `SELECT workspace_id, event_ref, source, received_at, event_id, status FROM event_arrivals
         WHERE workspace_id = ? AND event_ref = ? ORDER BY received_at, id`,
      )
      .all(workspaceId, eventRef) as {
      workspace_id: string;
      event_ref: string;
      source: ArrivalRow["source"];
      received_at: number;
      event_id: string | null;
      status: ArrivalRow["status"];
    }[];
    return rows.map((r) => ({
      workspaceId: r.workspace_id,
      eventRef: r.event_ref,
      source: r.source,
      receivedAt: r.received_at,
      eventId: r.event_id,
      status: r.status,
    }));
  }

  getDestination(workspaceId: string, id: string): DestinationRecord | null {
    const r = this.db
      .prepare("SELECT * FROM destinations WHERE workspace_id = ? AND id = ? AND deleted = 0")
      .get(workspaceId, id) as DestinationRow | undefined;
    return r ? toDestination(r) : null;
  }

  getKeyCheck(): string | null {
    const r = this.db.prepare("SELECT sealed FROM key_check WHERE id = 1").get() as
      { sealed: string } | undefined;
    return r?.sealed ?? null;
  }

  sealedSamples(limit: number): string[] {
    const rows = this.db
      .prepare(
        `SELECT s FROM (SELECT config_enc AS s FROM destinations LIMIT ?)
         UNION ALL SELECT s FROM (SELECT ip_enc AS s FROM events WHERE ip_enc IS NOT NULL LIMIT ?)`,
      )
      .all(limit, limit) as { s: string }[];
    return rows.map((r) => r.s).slice(0, limit);
  }

  listDeliveries(
    workspaceId: string,
    destinationId: string,
    status: DeliveryStatus | null,
    limit: number,
  ): DeliveryRow[] {
    const rows = this.db
      .prepare(
        `SELECT d.id AS delivery_id, d.event_ref, d.status, d.attempts, d.last_status_code, d.last_error, d.delivered_at, d.created_at, d.dedup_id,
                e.event_id, e.order_id
         FROM deliveries d LEFT JOIN events e ON e.id = d.event_ref
         WHERE d.workspace_id = ? AND d.destination_id = ? ${status ? "AND d.status = ?" : ""}
         ORDER BY d.created_at DESC, d.id DESC LIMIT ?`,
      )
      .all(
        ...(status ? [workspaceId, destinationId, status, limit] : [workspaceId, destinationId, limit]),
      ) as {
      delivery_id: string;
      event_ref: string;
      status: DeliveryStatus;
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
      delivered_at: number | null;
      created_at: number;
      dedup_id: string | null;
      event_id: string | null;
      order_id: string | null;
    }[];
    return rows.map((r) => ({
      id: r.event_ref,
      deliveryId: r.delivery_id,
      eventId: r.dedup_id ?? r.event_id ?? r.order_id ?? r.event_ref,
      status: r.status,
      attempts: r.attempts,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      deliveredAt: r.delivered_at,
      createdAt: r.created_at,
    }));
  }

  deliveryStats(workspaceId: string, since: number) {
    const rows = this.db
      .prepare(
        `SELECT destination_id, status, COUNT(*) AS count, MAX(CASE WHEN last_error IS NOT NULL THEN created_at END) AS last_err_at
         FROM deliveries WHERE workspace_id = ? AND created_at >= ? GROUP BY destination_id, status`,
      )
      .all(workspaceId, since) as { destination_id: string; status: DeliveryStatus; count: number }[];
    const lat = this.db
      .prepare(
        `SELECT destination_id, delivered_at - created_at AS ms FROM deliveries
         WHERE workspace_id = ? AND created_at >= ? AND status = 'delivered' ORDER BY created_at DESC LIMIT 5000`,
      )
      .all(workspaceId, since) as { destination_id: string; ms: number }[];
    const lastErr = this.db
      .prepare(
        `SELECT destination_id, last_error FROM deliveries WHERE workspace_id = ? AND last_error IS NOT NULL
         ORDER BY created_at DESC LIMIT 200`,
      )
      .all(workspaceId) as { destination_id: string; last_error: string }[];
    return rows.map((r) => ({
      destinationId: r.destination_id,
      status: r.status,
      count: r.count,
      latencies: lat.filter((l) => l.destination_id === r.destination_id).map((l) => l.ms),
      lastError: lastErr.find((e) => e.destination_id === r.destination_id)?.last_error ?? null,
    }));
  }

  listErasures(workspaceId: string, limit: number): ErasureRecord[] {
    return (
      this.db
        .prepare(
          `SELECT id, erased_at, identifiers FROM erasures WHERE workspace_id = ?
           ORDER BY erased_at DESC, id DESC LIMIT ?`,
        )
        .all(workspaceId, limit) as { id: string; erased_at: number; identifiers: number }[]
    ).map((r) => ({ id: r.id, erasedAt: r.erased_at, identifiers: r.identifiers }));
  }

  findWorkspaceByKey(kind: WorkspaceKeyKind, value: string, now: number): KeyMatch | null {
    return findKey(this.db, kind, value, now);
  }

  getSession(idHash: string, now: number): Session | null {
    const r = this.db
      .prepare("SELECT id_hash, csrf_token, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?")
      .get(idHash, now) as { id_hash: string; csrf_token: string; expires_at: number } | undefined;
    return r ? { idHash: r.id_hash, csrfToken: r.csrf_token, expiresAt: r.expires_at } : null;
  }
}
