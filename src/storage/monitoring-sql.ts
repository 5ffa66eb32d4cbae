/**
 * The SQL of `MonitoringStore`, written once for both backends: statements with `?`
 * placeholders (PostgreSQL's `$n` are made by `numbered`), and the row mappers. SQLite runs
 * them on its reader connection (reads) or its writer thread (writes); PostgreSQL on the pool.
 */
import { qualityOfColumns } from "../quality/input.js";
import type { CreditRow, EventSource } from "../domain/event.js";
import { MODELS, type ModelName } from "../domain/models.js";
import type { EventPayload } from "./event-row.js";
import type {
  AlertChannelRecord,
  AlertQuery,
  AlertRecord,
  AlertRuleRecord,
  AlertStatus,
  ChannelDeliveryJob,
  ChannelDeliveryRow,
  LedgerRecord,
  SeriesRow,
} from "./monitoring-store.js";

/** `?` → `$1`, `$2`, … */
export function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/** `workspaceSeries`: one workspace's rows of some keys over a range. */
export function workspaceSeriesSql(table: "slots" | "hours", keys: number): string {
  const name = table === "slots" ? "series_10s" : "series_hour";
  return `SELECT workspace_id, start, key, count FROM ${name}
    WHERE workspace_id = ? AND start >= ? AND start < ? AND key IN (${Array.from({ length: keys }, () => "?").join(", ")})
    ORDER BY start`;
}

/**
 * `conversionsByEventTime`, over the `events_conversions` index (workspace, event_time): the
 * flag is `= 1` on SQLite (so its planner sees the partial index applies) and a boolean on
 * PostgreSQL. Arguments: bucket ms, currency, workspace, from, to.
 */
export function eventTimeSql(conversionFlag: string): string {
  return `SELECT event_time - (event_time % ?) AS start, COUNT(*) AS conversions,
      SUM(CASE WHEN currency IS NULL OR currency = ? THEN COALESCE(value, 0) ELSE 0 END) AS value
    FROM events WHERE workspace_id = ? AND ${conversionFlag} AND test_event_code IS NULL
      AND event_time >= ? AND event_time < ?
    GROUP BY 1 ORDER BY 1`;
}

export function eventTimeBucket(r: Row): { start: number; conversions: number; value: number } {
  return { start: num(r.start), conversions: num(r.conversions), value: Number(r.value ?? 0) };
}

export const SQL = {
  seriesSince: "SELECT workspace_id, start, key, count FROM series_10s WHERE start >= ? AND start < ?",
  purgeSlots: "DELETE FROM series_10s WHERE start < ?",
  purgeHours: "DELETE FROM series_hour WHERE start < ?",
  insertAlert: `INSERT INTO alerts (id, workspace_id, kind, subject, status, severity, started_at, resolved_at, message, diagnosis, details)
    VALUES (?, ?, ?, ?, 'firing', ?, ?, NULL, ?, ?, ?) ON CONFLICT DO NOTHING`,
  firingOf: "SELECT * FROM alerts WHERE workspace_id = ? AND kind = ? AND subject = ? AND status = 'firing'",
  resolve:
    "UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE workspace_id = ? AND id = ? AND status = 'firing'",
  firing: "SELECT * FROM alerts WHERE status = 'firing'",
  alertById: "SELECT * FROM alerts WHERE workspace_id = ? AND id = ?",
  channelsFor: "SELECT id, min_severity FROM alert_channels WHERE workspace_id = ? AND deleted_at IS NULL",
  insertOutbox: `INSERT INTO alert_outbox (id, workspace_id, channel_id, alert_id, body, status, attempts, next_attempt_at, created_at)
    VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
  rules: "SELECT workspace_id, kind, settings, updated_at FROM alert_rules",
  putRule: `INSERT INTO alert_rules (workspace_id, kind, settings, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (workspace_id, kind) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
  channels:
    "SELECT id, workspace_id, type, config_enc, min_severity, created_at FROM alert_channels WHERE workspace_id = ? AND deleted_at IS NULL ORDER BY created_at, id",
  countChannels: "SELECT COUNT(*) AS n FROM alert_channels WHERE workspace_id = ? AND deleted_at IS NULL",
  insertChannel: `INSERT INTO alert_channels (id, workspace_id, type, config_enc, min_severity, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  deleteChannel:
    "UPDATE alert_channels SET deleted_at = ? WHERE workspace_id = ? AND id = ? AND deleted_at IS NULL",
  dropPending: "DELETE FROM alert_outbox WHERE workspace_id = ? AND channel_id = ? AND status = 'pending'",
  due: `SELECT workspace_id, id FROM alert_outbox WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
    ORDER BY next_attempt_at, id LIMIT ?`,
  claimJobs: `SELECT o.id AS job_id, o.body, o.attempts AS job_attempts, o.created_at AS job_created,
      c.id AS c_id, c.type AS c_type, c.config_enc AS c_config, c.min_severity AS c_min, c.created_at AS c_created,
      a.id AS alert_id, a.workspace_id, a.kind, a.subject, a.status, a.severity, a.started_at, a.resolved_at,
      a.message, a.diagnosis, a.details
    FROM alert_outbox o JOIN alert_channels c ON c.id = o.channel_id AND c.workspace_id = o.workspace_id
      JOIN alerts a ON a.id = o.alert_id AND a.workspace_id = o.workspace_id
    WHERE o.lease_owner = ? AND o.status = 'pending' AND o.lease_until > ?`,
  complete: `UPDATE alert_outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?,
    lease_owner = NULL, lease_until = 0 WHERE workspace_id = ? AND id = ? AND lease_owner = ?`,
  channelLog: `SELECT id, alert_id, body, status, attempts, last_error, created_at, delivered_at FROM alert_outbox
    WHERE workspace_id = ? AND channel_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
  ledgerEvent: `SELECT id, event_name, event_time, received_at, event_id, order_id, value, currency, test_event_code,
    source, superseded_at, payload, quality_score, quality_flags FROM events WHERE workspace_id = ? AND id = ?`,
  ledgerCredits:
    "SELECT model, ord, platform, campaign, ad, touch_time, credit FROM credits WHERE workspace_id = ? AND event_ref = ? ORDER BY model, ord",
  ledgerArrivals:
    "SELECT source, received_at, event_id, status FROM event_arrivals WHERE workspace_id = ? AND event_ref = ? ORDER BY received_at, id",
  ledgerDeliveries: `SELECT d.destination_id, t.type, d.status, d.attempts, d.last_status_code, d.last_error, d.delivered_at, d.created_at
    FROM deliveries d JOIN destinations t ON t.id = d.destination_id AND t.workspace_id = d.workspace_id
    WHERE d.workspace_id = ? AND d.event_ref = ? ORDER BY d.created_at, d.id`,
} as const;

/** The `GET /v1/alerts` query, newest first. */
export function alertList(workspaceId: string, q: AlertQuery): { sql: string; args: unknown[] } {
  const where = ["workspace_id = ?"];
  const args: unknown[] = [workspaceId];
  if (q.status) {
    where.push("status = ?");
    args.push(q.status);
  }
  if (q.from !== null) {
    where.push("started_at >= ?");
    args.push(q.from);
  }
  if (q.to !== null) {
    where.push("started_at < ?");
    args.push(q.to);
  }
  args.push(q.limit);
  return {
    sql: `SELECT * FROM alerts WHERE ${where.join(" AND ")} ORDER BY started_at DESC, id DESC LIMIT ?`,
    args,
  };
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type Row = Record<string, unknown>;

export function seriesRow(r: Row): SeriesRow {
  return {
    workspaceId: r.workspace_id as string,
    start: num(r.start),
    key: r.key as string,
    count: num(r.count),
  };
}

export function alertRow(r: Row): AlertRecord {
  return {
    id: r.id as string,
    workspaceId: r.workspace_id as string,
    kind: r.kind as string,
    subject: r.subject as string,
    status: r.status as AlertStatus,
    severity: r.severity as AlertRecord["severity"],
    startedAt: num(r.started_at),
    resolvedAt: numOrNull(r.resolved_at),
    message: r.message as string,
    diagnosis: (r.diagnosis as string | null) ?? null,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
  };
}

export function alertValues(a: AlertRecord): unknown[] {
  return [
    a.id,
    a.workspaceId,
    a.kind,
    a.subject,
    a.severity,
    a.startedAt,
    a.message,
    a.diagnosis,
    JSON.stringify(a.details),
  ];
}

export function ruleRow(r: Row): AlertRuleRecord {
  return {
    workspaceId: r.workspace_id as string,
    kind: r.kind as string,
    settings: JSON.parse(r.settings as string) as Record<string, unknown>,
    updatedAt: num(r.updated_at),
  };
}

export function channelRow(r: Row): AlertChannelRecord {
  return {
    id: r.id as string,
    workspaceId: r.workspace_id as string,
    type: r.type as AlertChannelRecord["type"],
    configEnc: r.config_enc as string,
    minSeverity: r.min_severity as AlertChannelRecord["minSeverity"],
    createdAt: num(r.created_at),
  };
}

/** A claimed notification from a `claimJobs` row. */
export function jobOf(r: Row): ChannelDeliveryJob {
  return {
    id: r.job_id as string,
    channel: channelRow({
      id: r.c_id,
      workspace_id: r.workspace_id,
      type: r.c_type,
      config_enc: r.c_config,
      min_severity: r.c_min,
      created_at: r.c_created,
    }),
    alert: alertRow({ ...r, id: r.alert_id }),
    transition: r.body as AlertStatus,
    attempts: num(r.job_attempts),
    createdAt: num(r.job_created),
  };
}

export function channelDeliveryRow(r: Row): ChannelDeliveryRow {
  return {
    id: r.id as string,
    alertId: r.alert_id as string,
    transition: r.body as AlertStatus,
    status: r.status as ChannelDeliveryRow["status"],
    attempts: num(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: num(r.created_at),
    deliveredAt: numOrNull(r.delivered_at),
  };
}

/** Whether a channel with minimum severity `min` takes an alert of `severity`. */
export function takes(min: string, severity: string): boolean {
  return min === "warning" || severity === "critical";
}

/** The ledger from its rows (event, credits, arrivals, deliveries). */
export function ledgerOf(ev: Row, credits: Row[], arrivals: Row[], deliveries: Row[]): LedgerRecord {
  const p = JSON.parse(ev.payload as string) as EventPayload & { mq?: unknown };
  const ids = p.i ?? [];
  const byModel = Object.fromEntries(MODELS.map((m) => [m, [] as CreditRow[]])) as Record<
    ModelName,
    CreditRow[]
  >;
  for (const c of credits) {
    byModel[c.model as ModelName]?.push({
      platform: c.platform as string,
      campaign: (c.campaign as string | null) ?? null,
      ad: (c.ad as string | null) ?? null,
      time: num(c.touch_time),
      credit: num(c.credit),
    });
  }
  return {
    id: ev.id as string,
    eventName: ev.event_name as string,
    eventTime: num(ev.event_time),
    receivedAt: num(ev.received_at),
    eventId: (ev.event_id as string | null) ?? null,
    orderId: (ev.order_id as string | null) ?? null,
    value: numOrNull(ev.value),
    currency: (ev.currency as string | null) ?? null,
    testEventCode: (ev.test_event_code as string | null) ?? null,
    source: (ev.source as EventSource | null) ?? null,
    supersededAt: numOrNull(ev.superseded_at),
    identifierKinds: [...new Set(ids.map((i) => i.kind))],
    identifiers: ids.length,
    matchQuality: p.mq ?? null,
    quality: qualityOfColumns(numOrNull(ev.quality_score), numOrNull(ev.quality_flags)),
    credits: byModel,
    arrivals: arrivals.map((a) => ({
      source: a.source as EventSource,
      receivedAt: num(a.received_at),
      eventId: (a.event_id as string | null) ?? null,
      status: a.status as string,
    })),
    deliveries: deliveries.map((d) => ({
      destinationId: d.destination_id as string,
      type: d.type as string,
      status: d.status as string,
      attempts: num(d.attempts),
      lastStatusCode: numOrNull(d.last_status_code),
      lastError: (d.last_error as string | null) ?? null,
      deliveredAt: numOrNull(d.delivered_at),
      createdAt: num(d.created_at),
    })),
  };
}
