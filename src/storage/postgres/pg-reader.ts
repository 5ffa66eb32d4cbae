/** Read queries of the PostgreSQL store; each runs on any pooled connection, outside transactions. */
import { joinCredits, type ConversionEventRow, type CreditDbRow } from "../conversion-rows.js";
import type pg from "pg";
import { attributionRowsOf } from "../credit-rollup.js";
import { creditTotals } from "./credit-rollup.js";
import type { ConversionAction, Workspace } from "../../domain/workspace.js";
import { aggregateBuckets, bucketStart } from "../../monitoring/buckets.js";
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
  Session,
} from "../storage.js";
import {
  rowToAction,
  rowToDestination,
  rowToLink,
  rowToWorkspace,
  type ActionRow,
  type DestinationRow,
  type LinkRow,
  type WorkspaceRow,
} from "./rows.js";

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

/** Builds `$n` placeholders as values are added. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

export class PgReader {
  constructor(private readonly pool: pg.Pool) {}

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async listWorkspaces(): Promise<Workspace[]> {
    return (await this.pool.query<WorkspaceRow>("SELECT * FROM workspaces ORDER BY created_at, id")).rows.map(
      rowToWorkspace,
    );
  }

  async workspaceRowWhere(
    col: "id" | "public_key" | "secret_key_hash",
    value: string,
  ): Promise<WorkspaceRow | null> {
    return (
      (await this.pool.query<WorkspaceRow>(`SELECT * FROM workspaces WHERE ${col} = $1`, [value])).rows[0] ??
      null
    );
  }

  async workspaceWhere(
    col: "id" | "public_key" | "secret_key_hash",
    value: string,
  ): Promise<Workspace | null> {
    const row = await this.workspaceRowWhere(col, value);
    return row ? rowToWorkspace(row) : null;
  }

  async listConversionActions(workspaceId: string): Promise<ConversionAction[]> {
    const r = await this.pool.query<ActionRow>(
      "SELECT name, required, click_window_days, view_window_days FROM conversion_actions WHERE workspace_id = $1 ORDER BY created_at, name",
      [workspaceId],
    );
    return r.rows.map(rowToAction);
  }

  async getLink(id: string): Promise<Link | null> {
    const r = (await this.pool.query<LinkRow>("SELECT * FROM links WHERE id = $1", [id])).rows[0];
    return r ? rowToLink(r) : null;
  }

  async listConversions(workspaceId: string, q: ConversionQuery): Promise<ConversionRow[]> {
    const p = new Params();
    const where = [`workspace_id = ${p.add(workspaceId)}`, "is_conversion", "test_event_code IS NULL"];
    if (q.from !== null) where.push(`event_time >= ${p.add(q.from)}`);
    if (q.to !== null) where.push(`event_time < ${p.add(q.to)}`);
    if (q.after) where.push(`(event_time, id) < (${p.add(q.after.eventTime)}, ${p.add(q.after.id)})`);
    const rows = (
      await this.pool.query<ConversionEventRow>(
        `SELECT id, event_name, event_time, received_at, value, currency, quality_score, quality_flags FROM events WHERE ${where.join(" AND ")}
         ORDER BY event_time DESC, id DESC LIMIT ${p.add(q.limit)}`,
        p.values,
      )
    ).rows;
    if (rows.length === 0) return [];
    const credits = await this.pool.query<CreditDbRow>(
      `SELECT event_ref, platform, campaign, ad, touch_time, credit FROM credits
       WHERE workspace_id = $3 AND model = $1 AND event_ref = ANY($2::text[]) ORDER BY event_ref, ord`,
      [q.model, rows.map((r) => r.id), workspaceId],
    );
    return joinCredits(rows, credits.rows);
  }

  async attributionReport(workspaceId: string, q: ReportQuery): Promise<ReportResult> {
    // $1 workspace, $2 currency, then the range
    const p = new Params();
    p.add(workspaceId);
    p.add(q.currency);
    const range: string[] = [];
    if (q.from !== null) range.push(`event_time >= ${p.add(q.from)}`);
    if (q.to !== null) range.push(`event_time < ${p.add(q.to)}`);
    const rangeSql = range.length ? ` AND ${range.join(" AND ")}` : "";
    // Flagged conversions out (workspace setting `exclude`): their credits say so, as do their events.
    const eventSql = q.excludeFlagged ? `${rangeSql} AND quality_flags = 0` : rangeSql;
    // Credit sums from the credit rollup (storage/credit-rollup.ts), raw credits only at the edges.
    const sums = await creditTotals(this.pool, workspaceId, q);
    const un = await this.pool.query<{ conversions: number; value: number | null }>(
      `SELECT COUNT(*) AS conversions, SUM(CASE WHEN currency IS NULL OR currency = $2 THEN COALESCE(value, 0) ELSE 0 END) AS value
       FROM events WHERE workspace_id = $1 AND is_conversion AND test_event_code IS NULL AND NOT attributed AND NOT retracted${eventSql}`,
      p.values,
    );
    const other = await this.pool.query<{ currency: string; conversions: number; value: number }>(
      `SELECT currency, COUNT(*) AS conversions, SUM(COALESCE(value, 0)) AS value FROM events
       WHERE workspace_id = $1 AND is_conversion AND test_event_code IS NULL AND currency IS NOT NULL AND currency <> $2 AND NOT retracted${eventSql}
       GROUP BY currency`,
      p.values,
    );
    const u = un.rows[0]!;
    return {
      rows: attributionRowsOf(sums, q.groupBy, q.currency),
      unattributed: { conversions: u.conversions, value: round6(u.value ?? 0) },
      otherCurrencies: Object.fromEntries(
        other.rows.map((o) => [o.currency, { conversions: o.conversions, value: round6(o.value) }]),
      ),
    };
  }

  async metrics(workspaceId: string, from: number, to: number, bucket: Bucket): Promise<MetricsRow[]> {
    const table = bucket === "minute" ? "rollups_minute" : "rollups_hour";
    const lo = bucketStart(from, bucket);
    const rows = await this.pool.query<
      Omit<MetricsRow, "latency" | "pipeline"> & { latency: number[] | null; pipeline: number[] | null }
    >(
      `SELECT start, received, accepted, conversions, value, duplicates, rejected, clicks, impressions,
              flagged, flagged_value, flagged_clicks, latency, pipeline
       FROM ${table} WHERE workspace_id = $1 AND start >= $2 AND start < $3 ORDER BY start`,
      [workspaceId, lo, to],
    );
    return aggregateBuckets(
      rows.rows.map((r) => ({ ...r, latency: r.latency ?? [], pipeline: r.pipeline ?? [] })),
      from,
      to,
      bucket,
    );
  }

  async listDestinations(workspaceId: string | null): Promise<DestinationRecord[]> {
    const r = workspaceId
      ? await this.pool.query<DestinationRow>(
          "SELECT * FROM destinations WHERE workspace_id = $1 AND NOT deleted ORDER BY created_at, id",
          [workspaceId],
        )
      : await this.pool.query<DestinationRow>(
          "SELECT * FROM destinations WHERE NOT deleted ORDER BY created_at, id",
        );
    return r.rows.map(rowToDestination);
  }

  async listArrivals(workspaceId: string, eventRef: string): Promise<ArrivalRow[]> {
    const r = await this.pool.query<{
      workspace_id: string;
      event_ref: string;
      source: ArrivalRow["source"];
      received_at: number;
      event_id: string | null;
      status: ArrivalRow["status"];
    }>(
      `SELECT workspace_id, event_ref, source, received_at, event_id, status FROM event_arrivals
       WHERE workspace_id = $1 AND event_ref = $2 ORDER BY received_at, id`,
      [workspaceId, eventRef],
    );
    return r.rows.map((x) => ({
      workspaceId: x.workspace_id,
      eventRef: x.event_ref,
      source: x.source,
      receivedAt: x.received_at,
      eventId: x.event_id,
      status: x.status,
    }));
  }

  async getDestination(workspaceId: string, id: string): Promise<DestinationRecord | null> {
    const r = (
      await this.pool.query<DestinationRow>(
        "SELECT * FROM destinations WHERE workspace_id = $1 AND id = $2 AND NOT deleted",
        [workspaceId, id],
      )
    ).rows[0];
    return r ? rowToDestination(r) : null;
  }

  async listDeliveries(
    workspaceId: string,
    destinationId: string,
    status: DeliveryStatus | null,
    limit: number,
  ): Promise<DeliveryRow[]> {
    const r = await this.pool.query<{
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
    }>(
      `SELECT d.id AS delivery_id, d.event_ref, d.status, d.attempts, d.last_status_code, d.last_error, d.delivered_at, d.created_at, d.dedup_id,
              e.event_id, e.order_id
       FROM deliveries d LEFT JOIN events e ON e.id = d.event_ref AND e.workspace_id = d.workspace_id
       WHERE d.workspace_id = $1 AND d.destination_id = $2 AND ($3::text IS NULL OR d.status = $3)
       ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
      [workspaceId, destinationId, status, limit],
    );
    return r.rows.map((x) => ({
      id: x.event_ref,
      deliveryId: x.delivery_id,
      eventId: x.dedup_id ?? x.event_id ?? x.order_id ?? x.event_ref,
      status: x.status,
      attempts: x.attempts,
      lastStatusCode: x.last_status_code,
      lastError: x.last_error,
      deliveredAt: x.delivered_at,
      createdAt: x.created_at,
    }));
  }

  async deliveryStats(workspaceId: string, since: number) {
    const rows = await this.pool.query<{ destination_id: string; status: DeliveryStatus; count: number }>(
      `SELECT destination_id, status, COUNT(*) AS count FROM deliveries WHERE workspace_id = $1 AND created_at >= $2 GROUP BY destination_id, status`,
      [workspaceId, since],
    );
    const lat = await this.pool.query<{ destination_id: string; ms: number }>(
      `SELECT destination_id, delivered_at - created_at AS ms FROM deliveries
       WHERE workspace_id = $1 AND created_at >= $2 AND status = 'delivered' ORDER BY created_at DESC LIMIT 5000`,
      [workspaceId, since],
    );
    const lastErr = await this.pool.query<{ destination_id: string; last_error: string }>(
      `SELECT DISTINCT ON (destination_id) destination_id, last_error FROM deliveries
       WHERE workspace_id = $1 AND last_error IS NOT NULL ORDER BY destination_id, created_at DESC`,
      [workspaceId],
    );
    return rows.rows.map((r) => ({
      destinationId: r.destination_id,
      status: r.status,
      count: r.count,
      latencies: lat.rows.filter((l) => l.destination_id === r.destination_id).map((l) => l.ms),
      lastError: lastErr.rows.find((e) => e.destination_id === r.destination_id)?.last_error ?? null,
    }));
  }

  async listErasures(workspaceId: string, limit: number): Promise<ErasureRecord[]> {
    const r = await this.pool.query<{ id: string; erased_at: number; identifiers: number }>(
      `SELECT id, erased_at, identifiers FROM erasures WHERE workspace_id = $1
       ORDER BY erased_at DESC, id DESC LIMIT $2`,
      [workspaceId, limit],
    );
    return r.rows.map((x) => ({ id: x.id, erasedAt: x.erased_at, identifiers: x.identifiers }));
  }

  async getSession(idHash: string, now: number): Promise<Session | null> {
    const r = (
      await this.pool.query<{ id_hash: string; csrf_token: string; expires_at: number }>(
        "SELECT id_hash, csrf_token, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        [idHash, now],
      )
    ).rows[0];
    return r ? { idHash: r.id_hash, csrfToken: r.csrf_token, expiresAt: r.expires_at } : null;
  }
}
