/**
 * `Store.reconciliation` of the PostgreSQL store. A batch of orders is one transaction: the
 * rows upserted in one statement, their conversions found in one query, and only the orders
 * that change something adjusted one by one (reconciliation/apply-adjustment.ts over
 * `PgAdjustTx`), their rollup deltas written before COMMIT.
 */
import { CreditRollupAccumulator, deltaOfRow, type StoredCreditRow } from "../credit-rollup.js";
import { writeCreditRollup } from "./credit-rollup.js";
import type pg from "pg";
import { newId } from "../../domain/ids.js";
import { readByEventId } from "./partitions.js";
import { RollupAccumulator } from "../../monitoring/rollups.js";
import {
  applyAdjustment,
  decide,
  requestOfOrder,
  type AdjustmentDelivery,
  type AdjustTx,
  type ConversionState,
  type NewValue,
} from "../../reconciliation/apply-adjustment.js";
import {
  type AdjustmentPayload,
  type AdjustmentRecord,
  type AdjustmentRequest,
  type AdjustOutcome,
  type CrmOrderRecord,
  type DrillQuery,
  type DrillRow,
  type ReconcileQuery,
  type ReconcileSums,
  type ReconciliationStore,
} from "../reconciliation-store.js";
import { adjustmentOfRow, type AdjustmentRow } from "../reconciliation-sums.js";
import {
  MATCH_MARGIN_MS,
  mergeSums,
  pgConversionSumsSql,
  pgOrderSumsSql,
  PG_REPORT_SETTINGS,
  type SumsRow,
} from "../reconciliation-sql.js";
import { inTransaction } from "./pg-writes.js";
import { writeRollups } from "./rollups.js";

type Guard = <T>(f: () => Promise<T>) => Promise<T>;

interface ConversionRow {
  id: string;
  event_name: string;
  event_time: string;
  received_at: string;
  order_id: string | null;
  value: number | null;
  currency: string | null;
  retracted: boolean;
}

const CONVERSION = `SELECT id, event_name, event_time, received_at, order_id, value, currency, retracted FROM events`;

const stateOf = (r: ConversionRow): ConversionState => ({
  id: r.id,
  eventName: r.event_name,
  eventTime: Number(r.event_time),
  receivedAt: Number(r.received_at),
  orderId: r.order_id,
  value: r.value === null ? null : Number(r.value),
  currency: r.currency,
  retracted: r.retracted,
});

class PgAdjustTx implements AdjustTx {
  constructor(
    private readonly c: pg.ClientBase,
    /** Conversions already read for this batch, by order id and event name. */
    private readonly known: Map<string, ConversionState | null> = new Map(),
  ) {}

  async findConversion(req: AdjustmentRequest): Promise<ConversionState | null> {
    if (req.conversionId === null && req.eventName !== null) {
      const k = JSON.stringify([req.orderId, req.eventName]);
      if (this.known.has(k)) return this.known.get(k) ?? null;
    }
    if (req.conversionId !== null) {
      const byId = `${CONVERSION} WHERE workspace_id = $1 AND id = $2 AND is_conversion AND test_event_code IS NULL`;
      const { workspaceId, conversionId } = req;
      const row = await readByEventId(
        conversionId,
        async (at) =>
          (
            await this.c.query<ConversionRow>(
              at === null ? `${byId} FOR UPDATE` : `${byId} AND received_at = $3 FOR UPDATE`,
              at === null ? [workspaceId, conversionId] : [workspaceId, conversionId, at],
            )
          ).rows[0],
      );
      return row ? stateOf(row) : null;
    }
    const r = await this.c.query<ConversionRow>(
      `${CONVERSION} WHERE workspace_id = $1 AND order_id = $2 AND ($3::text IS NULL OR event_name = $3)
         AND is_conversion AND test_event_code IS NULL ORDER BY event_time, id LIMIT 1 FOR UPDATE`,
      [req.workspaceId, req.orderId, req.eventName],
    );
    return r.rows[0] ? stateOf(r.rows[0]) : null;
  }

  async setConversionValue(ws: string, c: ConversionState, next: NewValue, now: number): Promise<void> {
    // The credit rollup follows, in this transaction: the old value out (unless already
    // retracted), the new in (unless retracted now).
    const rows = (
      await this.c.query<StoredCreditRow>(
        `SELECT workspace_id, model, event_time, platform, campaign, ad, credit, value, currency, flagged
         FROM credits WHERE workspace_id = $1 AND event_ref = $2`,
        [ws, c.id],
      )
    ).rows;
    const deltas = new CreditRollupAccumulator();
    for (const r of rows) {
      if (!c.retracted) deltas.add(deltaOfRow(r, -1));
      if (!next.retracted) deltas.add(deltaOfRow({ ...r, value: next.value, currency: next.currency }, 1));
    }
    await writeCreditRollup(this.c, deltas.drain());
    await this.c.query(
      `UPDATE events SET tracked_value = CASE WHEN adjusted_at IS NULL THEN value ELSE tracked_value END,
         value = $1, currency = $2, retracted = $3, adjusted_at = $4
       WHERE workspace_id = $6 AND id = $5 AND received_at = $7`,
      [next.value, next.currency, next.retracted, now, c.id, ws, c.receivedAt],
    );
    await this.c.query(
      "UPDATE credits SET value = $1, currency = $2, retracted = $3 WHERE workspace_id = $5 AND event_ref = $4",
      [next.value, next.currency, next.retracted, c.id, ws],
    );
    // The batch's cached state follows, so a second row of the same order sees the change.
    for (const [k, v] of this.known) if (v?.id === c.id) this.known.set(k, { ...v, ...next });
  }

  async insertAdjustment(a: AdjustmentRecord): Promise<void> {
    await this.c.query(
      `INSERT INTO adjustments (id, workspace_id, conversion_id, type, source, order_id, value, currency,
         previous_value, previous_currency, adjusted_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        a.id,
        a.workspaceId,
        a.conversionId,
        a.type,
        a.source,
        a.orderId,
        a.value,
        a.currency,
        a.previousValue,
        a.previousCurrency,
        a.adjustedAt,
        a.createdAt,
      ],
    );
  }

  async receivedBy(
    workspaceId: string,
    conversionId: string,
    now: number,
  ): Promise<{ id: string; type: string }[]> {
    const r = await this.c.query<{ id: string; type: string }>(
      `SELECT t.id, t.type FROM deliveries d JOIN destinations t ON t.id = d.destination_id AND t.workspace_id = d.workspace_id AND NOT t.deleted
       WHERE d.event_ref = $1 AND d.kind = 'event' AND t.workspace_id = $2
         AND (d.status = 'delivered' OR (d.status = 'pending' AND d.lease_until > $3))
       GROUP BY t.id, t.type ORDER BY t.id`,
      [conversionId, workspaceId, now],
    );
    return r.rows;
  }

  async skipWaitingDeliveries(workspaceId: string, conversionId: string, now: number, reason: string) {
    await this.c.query(
      `UPDATE deliveries SET status = 'skipped', last_error = $1, next_attempt_at = $2
       WHERE workspace_id = $4 AND event_ref = $3 AND kind = 'event' AND status = 'pending' AND lease_until <= $2`,
      [reason, now, conversionId, workspaceId],
    );
  }

  async insertAdjustmentDeliveries(
    workspaceId: string,
    conversionId: string,
    rows: AdjustmentDelivery[],
    payload: AdjustmentPayload,
    now: number,
  ): Promise<void> {
    const json = JSON.stringify(payload);
    for (const r of rows)
      await this.c.query(
        `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at,
           created_at, kind, payload, dedup_id, last_error) VALUES ($1, $2, $3, $4, $5, 0, $6, $6, 'adjustment', $7, $8, $9)`,
        [
          newId("dlv", now),
          workspaceId,
          r.destinationId,
          conversionId,
          r.status,
          now,
          json,
          payload.id,
          r.error,
        ],
      );
  }
}

const TRACKED = `CASE WHEN e.adjusted_at IS NULL THEN e.value ELSE e.tracked_value END`;

export class PgReconciliationStore implements ReconciliationStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly guard: Guard,
  ) {}

  private async currencies(c: pg.ClientBase, ids: string[]): Promise<Map<string, string>> {
    const r = await c.query<{ id: string; currency: string }>(
      "SELECT id, currency FROM workspaces WHERE id = ANY($1::text[])",
      [ids],
    );
    return new Map(r.rows.map((x) => [x.id, x.currency]));
  }

  upsertOrders(rows: CrmOrderRecord[], now: number): Promise<(AdjustOutcome | null)[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        // One statement may not touch a row twice: the last row of an order id is the one stored.
        const last = new Map<string, CrmOrderRecord>();
        for (const o of rows) last.set(JSON.stringify([o.workspaceId, o.orderId]), o);
        const list = [...last.values()].sort((a, b) =>
          a.workspaceId === b.workspaceId
            ? a.orderId < b.orderId
              ? -1
              : 1
            : a.workspaceId < b.workspaceId
              ? -1
              : 1,
        );
        await c.query(
          `INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::float8[], $6::text[], $7::text[], $8::int8[])
           ON CONFLICT (workspace_id, order_id) DO UPDATE SET event_name = excluded.event_name, time = excluded.time,
             value = excluded.value, currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at`,
          [
            list.map((o) => o.workspaceId),
            list.map((o) => o.orderId),
            list.map((o) => o.eventName),
            list.map((o) => o.time),
            list.map((o) => o.value),
            list.map((o) => o.currency),
            list.map((o) => o.status),
            list.map(() => now),
          ],
        );
        const known = new Map<string, ConversionState | null>();
        const byWs = new Map<string, string[]>();
        for (const o of rows) byWs.set(o.workspaceId, [...(byWs.get(o.workspaceId) ?? []), o.orderId]);
        for (const [ws, orderIds] of byWs) {
          const r = await c.query<ConversionRow>(
            `${CONVERSION} WHERE workspace_id = $1 AND order_id = ANY($2::text[]) AND is_conversion
               AND test_event_code IS NULL ORDER BY event_time DESC, id DESC FOR UPDATE`,
            [ws, orderIds],
          );
          // Earliest last: it wins, as the single lookup's ORDER BY event_time would choose it.
          for (const x of r.rows) known.set(JSON.stringify([x.order_id, x.event_name]), stateOf(x));
        }
        const tx = new PgAdjustTx(c, known);
        const acc = new RollupAccumulator();
        const cur = await this.currencies(c, [...byWs.keys()]);
        const ctx = { rollups: acc, currencyOf: (ws: string) => cur.get(ws) ?? null };
        const out: (AdjustOutcome | null)[] = [];
        for (const o of rows) {
          const req = requestOfOrder(o, now);
          const state = known.get(JSON.stringify([o.orderId, o.eventName]));
          // Most rows change nothing: decided here without a round trip.
          if (!state || decide(state, req).kind !== "apply") {
            out.push(null);
            continue;
          }
          const r = await applyAdjustment(tx, req, now, ctx);
          out.push(r.status === "applied" ? r : null);
        }
        await writeRollups(c, acc.drain());
        return out;
      }),
    );
  }

  adjust(requests: AdjustmentRequest[], now: number): Promise<AdjustOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        const tx = new PgAdjustTx(c);
        const acc = new RollupAccumulator();
        const cur = await this.currencies(c, [...new Set(requests.map((r) => r.workspaceId))]);
        const ctx = { rollups: acc, currencyOf: (ws: string) => cur.get(ws) ?? null };
        const out: AdjustOutcome[] = [];
        for (const r of requests) out.push(await applyAdjustment(tx, r, now, ctx));
        await writeRollups(c, acc.drain());
        return out;
      }),
    );
  }

  /**
   * The database joins and groups (reconciliation-sql.ts): two statements, each in its own
   * read-only transaction with room to hash and sort a month in memory, run side by side;
   * a few thousand group rows come back instead of 2 M rows to match here.
   */
  reconcile(workspaceId: string, q: ReconcileQuery): Promise<ReconcileSums[]> {
    const run = (text: string, values: unknown[]) =>
      inTransaction(this.pool, async (c) => {
        await c.query("SET TRANSACTION READ ONLY");
        for (const setting of PG_REPORT_SETTINGS) await c.query(setting);
        return (await c.query<SumsRow>({ text, values })).rows;
      });
    return this.guard(async () => {
      const [crm, tracked] = await Promise.all([
        run(pgOrderSumsSql(q.byPlatform), [
          workspaceId,
          q.eventName,
          q.from - MATCH_MARGIN_MS,
          q.to + MATCH_MARGIN_MS,
          q.from,
          q.to,
        ]),
        run(pgConversionSumsSql(q.byPlatform), [workspaceId, q.eventName, q.from, q.to]),
      ]);
      return mergeSums(crm, tracked, q.byPlatform);
    });
  }

  drill(workspaceId: string, q: DrillQuery): Promise<DrillRow[]> {
    return this.guard(async () => {
      const r =
        q.kind === "missing"
          ? await this.pool.query<DrillRow>(
              `SELECT o.order_id AS "orderId", NULL AS "conversionId", o.time AS time, o.value AS value, o.currency AS currency
               FROM crm_orders o
               WHERE o.workspace_id = $1 AND o.event_name = $2 AND o.time >= $3 AND o.time < $4
                 AND NOT EXISTS (SELECT 1 FROM events WHERE workspace_id = o.workspace_id AND order_id = o.order_id
                   AND event_name = o.event_name AND is_conversion AND test_event_code IS NULL)
               ORDER BY o.time, o.order_id LIMIT $5`,
              [workspaceId, q.eventName, q.from, q.to, q.limit],
            )
          : await this.pool.query<DrillRow>(
              `SELECT e.order_id AS "orderId", e.id AS "conversionId", e.event_time AS time, ${TRACKED} AS value,
                 e.currency AS currency
               FROM events e
               WHERE e.workspace_id = $1 AND e.is_conversion AND e.test_event_code IS NULL
                 AND e.event_time >= $2 AND e.event_time < $3 AND e.event_name = $4
                 AND (e.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM crm_orders c
                   WHERE c.workspace_id = e.workspace_id AND c.order_id = e.order_id))
               ORDER BY e.event_time, e.id LIMIT $5`,
              [workspaceId, q.from, q.to, q.eventName, q.limit],
            );
      return r.rows.map((x) => ({
        ...x,
        time: Number(x.time),
        value: x.value === null ? null : Number(x.value),
      }));
    });
  }

  adjustmentsOf(workspaceId: string, conversionId: string): Promise<AdjustmentRecord[]> {
    return this.guard(async () => {
      const r = await this.pool.query<AdjustmentRow>(
        "SELECT * FROM adjustments WHERE workspace_id = $1 AND conversion_id = $2 ORDER BY created_at, id",
        [workspaceId, conversionId],
      );
      return r.rows.map(adjustmentOfRow);
    });
  }
}
