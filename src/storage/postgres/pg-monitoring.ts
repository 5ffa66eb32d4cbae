/**
 * `MonitoringStore` on PostgreSQL (SQL shared with SQLite: storage/monitoring-sql.ts). Opening
 * an alert relies on the partial unique index `alerts_firing`: of several nodes that see the
 * same condition, one inserts, the others find it firing. Claims lock due rows with
 * `FOR UPDATE SKIP LOCKED`, so nodes never send one notification twice at once.
 */
import type pg from "pg";
import { newId } from "../../domain/ids.js";
import { readByEventId } from "./partitions.js";
import type {
  AlertChannelRecord,
  AlertQuery,
  AlertRecord,
  AlertRuleRecord,
  ChannelDeliveryJob,
  ChannelDeliveryUpdate,
  DestinationExtras,
  EventTimeBucket,
  LedgerRecord,
  MonitoringStore,
} from "../monitoring-store.js";
import {
  alertList,
  alertRow,
  alertValues,
  channelDeliveryRow,
  channelRow,
  jobOf,
  eventTimeBucket,
  eventTimeSql,
  ledgerOf,
  numbered,
  ruleRow,
  seriesRow,
  SQL,
  takes,
  workspaceSeriesSql,
  type Row,
} from "../monitoring-sql.js";
import { inTransaction } from "./pg-writes.js";
import { classify } from "./errors.js";

type Q = Pick<pg.ClientBase, "query">;

async function all(q: Q, sql: string, args: unknown[] = []): Promise<Row[]> {
  return (await q.query<Row>(numbered(sql), args)).rows;
}

export class PgMonitoringStore implements MonitoringStore {
  constructor(private readonly pool: pg.Pool) {}

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw classify(err);
    }
  }

  seriesSince(since: number, until = Number.MAX_SAFE_INTEGER) {
    return this.guard(async () => (await all(this.pool, SQL.seriesSince, [since, until])).map(seriesRow));
  }
  seriesHours(starts: number[]) {
    return this.guard(async () =>
      starts.length === 0
        ? []
        : (
            await this.pool.query<Row>(
              "SELECT workspace_id, start, key, count FROM series_hour WHERE start = ANY($1::int8[])",
              [starts],
            )
          ).rows.map(seriesRow),
    );
  }
  purgeSeries(slotsBefore: number, hoursBefore: number) {
    return this.guard(async () => {
      await all(this.pool, SQL.purgeSlots, [slotsBefore]);
      await all(this.pool, SQL.purgeHours, [hoursBefore]);
    });
  }

  openAlert(a: AlertRecord, now: number) {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        const r = await c.query(numbered(SQL.insertAlert), alertValues(a));
        if (r.rowCount === 0) return false;
        await this.enqueue(c, a, "firing", now);
        return true;
      }),
    );
  }

  resolveAlert(workspaceId: string, kind: string, subject: string, at: number) {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        const row = (await all(c, `${SQL.firingOf} FOR UPDATE`, [workspaceId, kind, subject]))[0];
        if (!row) return null;
        await all(c, SQL.resolve, [at, workspaceId, row.id]);
        const a: AlertRecord = { ...alertRow(row), status: "resolved", resolvedAt: at };
        await this.enqueue(c, a, "resolved", at);
        return a;
      }),
    );
  }

  private async enqueue(c: Q, a: AlertRecord, transition: "firing" | "resolved", now: number): Promise<void> {
    for (const ch of await all(c, SQL.channelsFor, [a.workspaceId]))
      if (takes(ch.min_severity as string, a.severity))
        await all(c, SQL.insertOutbox, [newId("ntf", now), a.workspaceId, ch.id, a.id, transition, now, now]);
  }

  firingAlerts() {
    return this.guard(async () => (await all(this.pool, SQL.firing)).map(alertRow));
  }

  listAlerts(workspaceId: string, q: AlertQuery) {
    return this.guard(async () => {
      const { sql, args } = alertList(workspaceId, q);
      return (await all(this.pool, sql, args)).map(alertRow);
    });
  }

  getAlert(workspaceId: string, id: string) {
    return this.guard(async () => {
      const r = (await all(this.pool, SQL.alertById, [workspaceId, id]))[0];
      return r ? alertRow(r) : null;
    });
  }

  listAlertRules(workspaceId: string | null) {
    return this.guard(async () =>
      (workspaceId === null
        ? await all(this.pool, SQL.rules)
        : await all(this.pool, `${SQL.rules} WHERE workspace_id = ?`, [workspaceId])
      ).map(ruleRow),
    );
  }
  putAlertRule(r: AlertRuleRecord) {
    return this.guard(async () => {
      await all(this.pool, SQL.putRule, [r.workspaceId, r.kind, JSON.stringify(r.settings), r.updatedAt]);
    });
  }

  createAlertChannel(ch: AlertChannelRecord, limit: number) {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        // One creation at a time per workspace, so two racing for the last place cannot both win.
        await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`alert_channels:${ch.workspaceId}`]);
        const n = Number((await all(c, SQL.countChannels, [ch.workspaceId]))[0]?.n ?? 0);
        if (n >= limit) return null;
        await all(c, SQL.insertChannel, [
          ch.id,
          ch.workspaceId,
          ch.type,
          ch.configEnc,
          ch.minSeverity,
          ch.createdAt,
        ]);
        return ch;
      }),
    );
  }
  listAlertChannels(workspaceId: string) {
    return this.guard(async () => (await all(this.pool, SQL.channels, [workspaceId])).map(channelRow));
  }
  deleteAlertChannel(workspaceId: string, id: string, now: number) {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        const r = await c.query(numbered(SQL.deleteChannel), [now, workspaceId, id]);
        if (r.rowCount === 0) return false;
        await all(c, SQL.dropPending, [workspaceId, id]);
        return true;
      }),
    );
  }

  claimChannelDeliveries(limit: number, now: number, leaseMs: number, owner: string) {
    return this.guard(() =>
      inTransaction(this.pool, async (c): Promise<ChannelDeliveryJob[]> => {
        const due = await all(c, `${SQL.due} FOR UPDATE SKIP LOCKED`, [now, now, limit]);
        if (due.length === 0) return [];
        await c.query(
          `UPDATE alert_outbox o SET lease_owner = $1, lease_until = $2
           FROM unnest($3::text[], $4::text[]) AS d(ws, id) WHERE o.workspace_id = d.ws AND o.id = d.id`,
          [owner, now + leaseMs, due.map((r) => r.workspace_id), due.map((r) => r.id)],
        );
        return (await all(c, SQL.claimJobs, [owner, now])).map(jobOf);
      }),
    );
  }
  completeChannelDeliveries(updates: ChannelDeliveryUpdate[], owner: string) {
    return this.guard(async () => {
      for (const u of updates)
        await all(this.pool, SQL.complete, [
          u.status,
          u.attempts,
          u.lastError,
          u.nextAttemptAt,
          u.deliveredAt,
          u.workspaceId,
          u.id,
          owner,
        ]);
    });
  }
  listChannelDeliveries(workspaceId: string, channelId: string, limit: number) {
    return this.guard(async () =>
      (await all(this.pool, SQL.channelLog, [workspaceId, channelId, limit])).map(channelDeliveryRow),
    );
  }

  conversionLedger(workspaceId: string, id: string): Promise<LedgerRecord | null> {
    return this.guard(async () => {
      const ev = await readByEventId(
        id,
        async (at) =>
          (
            await all(
              this.pool,
              at === null ? SQL.ledgerEvent : `${SQL.ledgerEvent} AND received_at = ?`,
              at === null ? [workspaceId, id] : [workspaceId, id, at],
            )
          )[0],
      );
      if (!ev) return null;
      const [credits, arrivals, deliveries] = await Promise.all([
        all(this.pool, SQL.ledgerCredits, [workspaceId, id]),
        all(this.pool, SQL.ledgerArrivals, [workspaceId, id]),
        all(this.pool, SQL.ledgerDeliveries, [workspaceId, id]),
      ]);
      return ledgerOf(ev, credits, arrivals, deliveries);
    });
  }

  destinationExtras(workspaceId: string, since: number): Promise<DestinationExtras[]> {
    return this.guard(async () => {
      const rows = await all(
        this.pool,
        `SELECT d.destination_id, SUM(CASE WHEN d.attempts > 0 THEN 1 ELSE 0 END) AS sent,
           AVG((e.payload::jsonb #>> '{mq,score}')::float8) AS mq
         FROM deliveries d JOIN events e ON e.id = d.event_ref AND e.workspace_id = d.workspace_id
         WHERE d.workspace_id = ? AND d.created_at >= ? GROUP BY d.destination_id`,
        [workspaceId, since],
      );
      return rows.map((r) => ({
        destinationId: r.destination_id as string,
        sent: Number(r.sent),
        matchQualityAvg: r.mq === null ? null : Math.round(Number(r.mq) * 10) / 10,
      }));
    });
  }

  workspaceSeries(workspaceId: string, keys: string[], from: number, to: number, table: "slots" | "hours") {
    return this.guard(async () =>
      keys.length === 0
        ? []
        : (
            await all(this.pool, workspaceSeriesSql(table, keys.length), [workspaceId, from, to, ...keys])
          ).map(seriesRow),
    );
  }

  conversionsByEventTime(
    workspaceId: string,
    currency: string,
    from: number,
    to: number,
    bucketMs: number,
  ): Promise<EventTimeBucket[]> {
    return this.guard(async () =>
      (await all(this.pool, eventTimeSql("is_conversion"), [bucketMs, currency, workspaceId, from, to])).map(
        eventTimeBucket,
      ),
    );
  }
}
