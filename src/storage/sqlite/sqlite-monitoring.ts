/**
 * `MonitoringStore` on SQLite: reads on a read-only connection of the calling thread (the
 * event-time aggregate, which reads every conversion of the range, on the report thread), writes
 * as operations of the writer thread (`SqliteMonitoringWrites`, run inside its group
 * transaction, so an alert and its outbox rows commit together). SQL: storage/monitoring-sql.ts.
 */
import type { ReportCall } from "./report-names.js";
import Database from "better-sqlite3";
import { newId } from "../../domain/ids.js";
import type {
  AlertChannelRecord,
  AlertQuery,
  AlertRecord,
  AlertRuleRecord,
  ChannelDeliveryJob,
  ChannelDeliveryRow,
  ChannelDeliveryUpdate,
  DestinationExtras,
  EventTimeBucket,
  LedgerRecord,
  MonitoringStore,
  SeriesRow,
} from "../monitoring-store.js";
import {
  alertList,
  alertRow,
  alertValues,
  channelDeliveryRow,
  channelRow,
  jobOf,
  ledgerOf,
  ruleRow,
  seriesRow,
  SQL,
  takes,
  eventTimeBucket,
  eventTimeSql,
  workspaceSeriesSql,
  type Row,
} from "../monitoring-sql.js";

/** The writer thread's half: every method runs inside the group's transaction. */
export class SqliteMonitoringWrites {
  constructor(private readonly db: Database.Database) {}

  run(method: string, args: unknown[]): unknown {
    const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
    if (typeof fn !== "function" || method === "run")
      throw new Error(`unknown monitoring operation ${method}`);
    return fn.apply(this, args);
  }

  purgeSeries(slotsBefore: number, hoursBefore: number): void {
    this.db.prepare(SQL.purgeSlots).run(slotsBefore);
    this.db.prepare(SQL.purgeHours).run(hoursBefore);
  }

  openAlert(a: AlertRecord, now: number): boolean {
    const r = this.db.prepare(SQL.insertAlert).run(...alertValues(a));
    if (r.changes === 0) return false;
    this.enqueue(a, "firing", now);
    return true;
  }

  resolveAlert(workspaceId: string, kind: string, subject: string, at: number): AlertRecord | null {
    const row = this.db.prepare(SQL.firingOf).get(workspaceId, kind, subject) as Row | undefined;
    if (!row) return null;
    this.db.prepare(SQL.resolve).run(at, workspaceId, row.id);
    const a: AlertRecord = { ...alertRow(row), status: "resolved", resolvedAt: at };
    this.enqueue(a, "resolved", at);
    return a;
  }

  private enqueue(a: AlertRecord, transition: "firing" | "resolved", now: number): void {
    const channels = this.db.prepare(SQL.channelsFor).all(a.workspaceId) as Row[];
    const ins = this.db.prepare(SQL.insertOutbox);
    for (const c of channels)
      if (takes(c.min_severity as string, a.severity))
        ins.run(newId("ntf", now), a.workspaceId, c.id, a.id, transition, now, now);
  }

  putAlertRule(r: AlertRuleRecord): void {
    this.db.prepare(SQL.putRule).run(r.workspaceId, r.kind, JSON.stringify(r.settings), r.updatedAt);
  }

  createAlertChannel(c: AlertChannelRecord, limit: number): AlertChannelRecord | null {
    const n = (this.db.prepare(SQL.countChannels).get(c.workspaceId) as { n: number }).n;
    if (n >= limit) return null;
    this.db
      .prepare(SQL.insertChannel)
      .run(c.id, c.workspaceId, c.type, c.configEnc, c.minSeverity, c.createdAt);
    return c;
  }

  deleteAlertChannel(workspaceId: string, id: string, now: number): boolean {
    const r = this.db.prepare(SQL.deleteChannel).run(now, workspaceId, id);
    if (r.changes === 0) return false;
    this.db.prepare(SQL.dropPending).run(workspaceId, id);
    return true;
  }

  claimChannelDeliveries(limit: number, now: number, leaseMs: number, owner: string): ChannelDeliveryJob[] {
    const due = this.db.prepare(SQL.due).all(now, now, limit) as { workspace_id: string; id: string }[];
    if (due.length === 0) return [];
    const lease = this.db.prepare(
      "UPDATE alert_outbox SET lease_owner = ?, lease_until = ? WHERE workspace_id = ? AND id = ?",
    );
    for (const d of due) lease.run(owner, now + leaseMs, d.workspace_id, d.id);
    return (this.db.prepare(SQL.claimJobs).all(owner, now) as Row[]).map(jobOf);
  }

  completeChannelDeliveries(updates: ChannelDeliveryUpdate[], owner: string): void {
    const st = this.db.prepare(SQL.complete);
    for (const u of updates)
      st.run(u.status, u.attempts, u.lastError, u.nextAttemptAt, u.deliveredAt, u.workspaceId, u.id, owner);
  }
}

/** The reading half, on its own read-only connection. */
export class SqliteMonitoringReads {
  constructor(private readonly db: Database.Database) {}

  seriesSince(since: number, until = Number.MAX_SAFE_INTEGER): SeriesRow[] {
    return (this.db.prepare(SQL.seriesSince).all(since, until) as Row[]).map(seriesRow);
  }
  seriesHours(starts: number[]): SeriesRow[] {
    if (starts.length === 0) return [];
    const sql = `SELECT workspace_id, start, key, count FROM series_hour WHERE start IN (${starts.map(() => "?").join(", ")})`;
    return (this.db.prepare(sql).all(...starts) as Row[]).map(seriesRow);
  }
  firingAlerts(): AlertRecord[] {
    return (this.db.prepare(SQL.firing).all() as Row[]).map(alertRow);
  }
  listAlerts(workspaceId: string, q: AlertQuery): AlertRecord[] {
    const { sql, args } = alertList(workspaceId, q);
    return (this.db.prepare(sql).all(...args) as Row[]).map(alertRow);
  }
  getAlert(workspaceId: string, id: string): AlertRecord | null {
    const r = this.db.prepare(SQL.alertById).get(workspaceId, id) as Row | undefined;
    return r ? alertRow(r) : null;
  }
  listAlertRules(workspaceId: string | null): AlertRuleRecord[] {
    const rows =
      workspaceId === null
        ? this.db.prepare(SQL.rules).all()
        : this.db.prepare(`${SQL.rules} WHERE workspace_id = ?`).all(workspaceId);
    return (rows as Row[]).map(ruleRow);
  }
  listAlertChannels(workspaceId: string): AlertChannelRecord[] {
    return (this.db.prepare(SQL.channels).all(workspaceId) as Row[]).map((r) => channelRow(r));
  }
  listChannelDeliveries(workspaceId: string, channelId: string, limit: number): ChannelDeliveryRow[] {
    return (this.db.prepare(SQL.channelLog).all(workspaceId, channelId, limit) as Row[]).map(
      channelDeliveryRow,
    );
  }
  conversionLedger(workspaceId: string, id: string): LedgerRecord | null {
    const ev = this.db.prepare(SQL.ledgerEvent).get(workspaceId, id) as Row | undefined;
    if (!ev) return null;
    return ledgerOf(
      ev,
      this.db.prepare(SQL.ledgerCredits).all(workspaceId, id) as Row[],
      this.db.prepare(SQL.ledgerArrivals).all(workspaceId, id) as Row[],
      this.db.prepare(SQL.ledgerDeliveries).all(workspaceId, id) as Row[],
    );
  }
  workspaceSeries(
    workspaceId: string,
    keys: string[],
    from: number,
    to: number,
    table: "slots" | "hours",
  ): SeriesRow[] {
    if (keys.length === 0) return [];
    return (
      this.db.prepare(workspaceSeriesSql(table, keys.length)).all(workspaceId, from, to, ...keys) as Row[]
    ).map(seriesRow);
  }
  conversionsByEventTime(
    workspaceId: string,
    currency: string,
    from: number,
    to: number,
    bucketMs: number,
  ): EventTimeBucket[] {
    return (
      this.db
        .prepare(eventTimeSql("is_conversion = 1"))
        .all(bucketMs, currency, workspaceId, from, to) as Row[]
    ).map(eventTimeBucket);
  }
  destinationExtras(workspaceId: string, since: number): DestinationExtras[] {
    const rows = this.db
      .prepare(
        `SELECT d.destination_id, SUM(CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END) AS sent,
           AVG(json_extract(e.payload, '$.mq.score')) AS mq
         FROM deliveries d JOIN events e ON e.id = d.event_ref
         WHERE d.workspace_id = ? AND d.created_at >= ? GROUP BY d.destination_id`,
      )
      .all(workspaceId, since) as Row[];
    return rows.map((r) => ({
      destinationId: r.destination_id as string,
      sent: Number(r.sent),
      matchQualityAvg: r.mq === null ? null : Math.round(Number(r.mq) * 10) / 10,
    }));
  }
}

type Call = (method: string, args: unknown[]) => Promise<unknown>;

/** The store's `monitoring`: writes through `call` (the writer thread), reads here. */
export class SqliteMonitoringStore implements MonitoringStore {
  private reads: SqliteMonitoringReads | null = null;
  private db: Database.Database | null = null;

  constructor(
    private readonly path: string,
    private readonly call: Call,
    private readonly report: ReportCall,
  ) {}

  private read<T>(fn: (r: SqliteMonitoringReads) => T): Promise<T> {
    try {
      if (!this.reads) {
        this.db = new Database(this.path, { readonly: true, fileMustExist: true });
        this.reads = new SqliteMonitoringReads(this.db);
      }
      return Promise.resolve(fn(this.reads));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.reads = null;
  }

  seriesSince(since: number, until?: number) {
    return this.read((r) => r.seriesSince(since, until));
  }
  seriesHours(starts: number[]) {
    return this.read((r) => r.seriesHours(starts));
  }
  async purgeSeries(slotsBefore: number, hoursBefore: number): Promise<void> {
    await this.call("purgeSeries", [slotsBefore, hoursBefore]);
  }
  async openAlert(alert: AlertRecord, now: number): Promise<boolean> {
    return (await this.call("openAlert", [alert, now])) as boolean;
  }
  async resolveAlert(workspaceId: string, kind: string, subject: string, at: number) {
    return (await this.call("resolveAlert", [workspaceId, kind, subject, at])) as AlertRecord | null;
  }
  firingAlerts() {
    return this.read((r) => r.firingAlerts());
  }
  listAlerts(workspaceId: string, q: AlertQuery) {
    return this.read((r) => r.listAlerts(workspaceId, q));
  }
  getAlert(workspaceId: string, id: string) {
    return this.read((r) => r.getAlert(workspaceId, id));
  }
  listAlertRules(workspaceId: string | null) {
    return this.read((r) => r.listAlertRules(workspaceId));
  }
  async putAlertRule(rule: AlertRuleRecord): Promise<void> {
    await this.call("putAlertRule", [rule]);
  }
  async createAlertChannel(channel: AlertChannelRecord, limit: number) {
    return (await this.call("createAlertChannel", [channel, limit])) as AlertChannelRecord | null;
  }
  listAlertChannels(workspaceId: string) {
    return this.read((r) => r.listAlertChannels(workspaceId));
  }
  async deleteAlertChannel(workspaceId: string, id: string, now: number) {
    return (await this.call("deleteAlertChannel", [workspaceId, id, now])) as boolean;
  }
  async claimChannelDeliveries(limit: number, now: number, leaseMs: number, owner: string) {
    return (await this.call("claimChannelDeliveries", [limit, now, leaseMs, owner])) as ChannelDeliveryJob[];
  }
  async completeChannelDeliveries(updates: ChannelDeliveryUpdate[], owner: string): Promise<void> {
    await this.call("completeChannelDeliveries", [updates, owner]);
  }
  listChannelDeliveries(workspaceId: string, channelId: string, limit: number) {
    return this.read((r) => r.listChannelDeliveries(workspaceId, channelId, limit));
  }
  conversionLedger(workspaceId: string, id: string) {
    return this.read((r) => r.conversionLedger(workspaceId, id));
  }
  destinationExtras(workspaceId: string, since: number) {
    return this.read((r) => r.destinationExtras(workspaceId, since));
  }
  workspaceSeries(workspaceId: string, keys: string[], from: number, to: number, table: "slots" | "hours") {
    return this.read((r) => r.workspaceSeries(workspaceId, keys, from, to, table));
  }
  conversionsByEventTime(workspaceId: string, currency: string, from: number, to: number, bucketMs: number) {
    return this.report("conversionsByEventTime", [workspaceId, currency, from, to, bucketMs]);
  }
}
