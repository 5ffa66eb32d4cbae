/**
 * CRM orders and adjustments on the embedded store's writer thread, inside its group
 * transaction: the order rows and the adjustments they cause commit together. The adjustment
 * itself is reconciliation/apply-adjustment.ts over `SqliteAdjustTx`.
 */
import { deltaOfRow, type CreditRollupAccumulator, type StoredCreditRow } from "../credit-rollup.js";
import type Database from "better-sqlite3";
import { newId } from "../../domain/ids.js";
import type { RollupAccumulator } from "../../monitoring/rollups.js";
import {
  applyAdjustment,
  requestOfOrder,
  type AdjustmentDelivery,
  type AdjustTx,
  type ConversionState,
  type NewValue,
} from "../../reconciliation/apply-adjustment.js";
import type {
  AdjustmentPayload,
  AdjustmentRecord,
  AdjustmentRequest,
  AdjustOutcome,
  CrmOrderRecord,
} from "../reconciliation-store.js";

type Stmt = Database.Statement;

interface ConversionRow {
  id: string;
  event_name: string;
  event_time: number;
  received_at: number;
  order_id: string | null;
  value: number | null;
  currency: string | null;
  retracted: number;
}

const CONVERSION = `SELECT id, event_name, event_time, received_at, order_id, value, currency, retracted FROM events`;

const stateOf = (r: ConversionRow): ConversionState => ({
  id: r.id,
  eventName: r.event_name,
  eventTime: r.event_time,
  receivedAt: r.received_at,
  orderId: r.order_id,
  value: r.value,
  currency: r.currency,
  retracted: r.retracted === 1,
});

export class SqliteAdjustTx implements AdjustTx {
  private readonly s: Record<string, Stmt>;

  constructor(
    db: Database.Database,
    private readonly credits: () => CreditRollupAccumulator,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      creditRows: p(
        `SELECT workspace_id, model, event_time, platform, campaign, ad, credit, value, currency, flagged
         FROM credits WHERE event_ref = ?`,
      ),
      byId: p(
        `${CONVERSION} WHERE workspace_id = ? AND id = ? AND is_conversion = 1 AND test_event_code IS NULL`,
      ),
      byOrder: p(
        `${CONVERSION} INDEXED BY events_order WHERE workspace_id = ? AND order_id = ? AND is_conversion = 1
           AND test_event_code IS NULL ORDER BY event_time, id LIMIT 1`,
      ),
      byOrderName: p(
        `${CONVERSION} INDEXED BY events_order WHERE workspace_id = ? AND order_id = ? AND event_name = ?
           AND is_conversion = 1 AND test_event_code IS NULL ORDER BY event_time, id LIMIT 1`,
      ),
      setEvent: p(
        `UPDATE events SET tracked_value = CASE WHEN adjusted_at IS NULL THEN value ELSE tracked_value END,
           value = ?, currency = ?, retracted = ?, adjusted_at = ? WHERE id = ?`,
      ),
      setCredits: p("UPDATE credits SET value = ?, currency = ?, retracted = ? WHERE event_ref = ?"),
      insertAdjustment: p(
        `INSERT INTO adjustments (id, workspace_id, conversion_id, type, source, order_id, value, currency,
           previous_value, previous_currency, adjusted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      receivedBy: p(
        `SELECT t.id AS id, t.type AS type FROM deliveries d JOIN destinations t ON t.id = d.destination_id AND t.deleted = 0
         WHERE d.event_ref = ? AND d.kind = 'event' AND t.workspace_id = ?
           AND (d.status = 'delivered' OR (d.status = 'pending' AND d.lease_until > ?))
         GROUP BY t.id ORDER BY t.id`,
      ),
      skipWaiting: p(
        `UPDATE deliveries SET status = 'skipped', last_error = ?, next_attempt_at = ?
         WHERE event_ref = ? AND kind = 'event' AND status = 'pending' AND lease_until <= ?`,
      ),
      insertDelivery: p(
        `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at,
           created_at, kind, payload, dedup_id, last_error) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 'adjustment', ?, ?, ?)`,
      ),
    };
  }

  findConversion(req: AdjustmentRequest): ConversionState | null {
    const r = (
      req.conversionId !== null
        ? this.s.byId!.get(req.workspaceId, req.conversionId)
        : req.eventName !== null
          ? this.s.byOrderName!.get(req.workspaceId, req.orderId, req.eventName)
          : this.s.byOrder!.get(req.workspaceId, req.orderId)
    ) as ConversionRow | undefined;
    return r ? stateOf(r) : null;
  }

  setConversionValue(_ws: string, c: ConversionState, next: NewValue, now: number): void {
    const retracted = next.retracted ? 1 : 0;
    // The credit rollup follows: the old value out (unless already retracted), the new in
    // (unless retracted now).
    const rows = this.s.creditRows!.all(c.id) as StoredCreditRow[];
    const credits = this.credits();
    for (const r of rows) {
      if (!c.retracted) credits.add(deltaOfRow(r, -1));
      if (!next.retracted) credits.add(deltaOfRow({ ...r, value: next.value, currency: next.currency }, 1));
    }
    this.s.setEvent!.run(next.value, next.currency, retracted, now, c.id);
    this.s.setCredits!.run(next.value, next.currency, retracted, c.id);
  }

  insertAdjustment(a: AdjustmentRecord): void {
    this.s.insertAdjustment!.run(
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
    );
  }

  receivedBy(workspaceId: string, conversionId: string, now: number): { id: string; type: string }[] {
    return this.s.receivedBy!.all(conversionId, workspaceId, now) as { id: string; type: string }[];
  }

  skipWaitingDeliveries(_workspaceId: string, conversionId: string, now: number, reason: string): void {
    this.s.skipWaiting!.run(reason, now, conversionId, now);
  }

  insertAdjustmentDeliveries(
    workspaceId: string,
    conversionId: string,
    rows: AdjustmentDelivery[],
    payload: AdjustmentPayload,
    now: number,
  ): void {
    const json = JSON.stringify(payload);
    for (const r of rows)
      this.s.insertDelivery!.run(
        newId("dlv", now),
        workspaceId,
        r.destinationId,
        conversionId,
        r.status,
        now,
        now,
        json,
        payload.id,
        r.error,
      );
  }
}

export interface ReconciliationOpsContext {
  /** The running operation's rollups (merged into the group's when it succeeds). */
  rollups(): RollupAccumulator;
  currencyOf(workspaceId: string): string | null;
  /** The running operation's credit-rollup deltas (merged into the group's when it succeeds). */
  credits(): CreditRollupAccumulator;
}

const UPSERT = `INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (workspace_id, order_id) DO UPDATE SET event_name = excluded.event_name, time = excluded.time,
  value = excluded.value, currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at`;

const IN_CHUNK = 500;

/** The lookup of `n` order ids, prepared once per size (a batch has one or two sizes). */
const LOOKUPS = new WeakMap<Database.Database, Map<number, Stmt>>();
function lookupOf(db: Database.Database, n: number): Stmt {
  let byN = LOOKUPS.get(db);
  if (!byN) LOOKUPS.set(db, (byN = new Map<number, Stmt>()));
  let s = byN.get(n);
  if (!s)
    byN.set(
      n,
      (s = db
        .prepare(
          `SELECT DISTINCT order_id FROM events INDEXED BY events_order
           WHERE workspace_id = ? AND order_id IN (${Array.from({ length: n }, () => "?").join(", ")})
             AND is_conversion = 1 AND test_event_code IS NULL`,
        )
        .pluck()),
    );
  return s;
}

/** "workspace\0order id" of the rows whose order id some conversion has. */
function ordersWithConversions(db: Database.Database, rows: CrmOrderRecord[]): Set<string> {
  const byWs = new Map<string, string[]>();
  for (const o of rows) {
    let ids = byWs.get(o.workspaceId);
    if (!ids) byWs.set(o.workspaceId, (ids = []));
    ids.push(o.orderId);
  }
  const out = new Set<string>();
  for (const [ws, ids] of byWs)
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const found = lookupOf(db, chunk.length).all(ws, ...chunk) as string[];
      for (const id of found) out.add(`${ws}\u0000${id}`);
    }
  return out;
}

/** The writer operations of reconciliation, by name, for the worker's table. */
export function reconciliationOps(
  db: Database.Database,
  ctx: ReconciliationOpsContext,
): Record<string, (...args: never[]) => unknown> {
  let tx: SqliteAdjustTx | null = null;
  let upsert: Stmt | null = null;
  const adjustCtx = () => ({ rollups: ctx.rollups(), currencyOf: (ws: string) => ctx.currencyOf(ws) });
  return {
    "recon.upsertOrders": async (rows: CrmOrderRecord[], now: number): Promise<(AdjustOutcome | null)[]> => {
      upsert ??= db.prepare(UPSERT);
      tx ??= new SqliteAdjustTx(db, () => ctx.credits());
      // The rows in key order (stable: of one order id the last still wins), so a batch walks
      // the primary key's pages in order instead of jumping across a tree of a million orders.
      const sorted = rows
        .map((o, i) => ({ o, i }))
        .sort((a, b) => (a.o.orderId < b.o.orderId ? -1 : a.o.orderId > b.o.orderId ? 1 : a.i - b.i));
      for (const { o } of sorted)
        upsert.run(o.workspaceId, o.orderId, o.eventName, o.time, o.value, o.currency, o.status, now);
      // Adjustments only for the order ids some conversion has (one query per batch, not one
      // per row: most CRM rows change nothing); in the rows' order, as before.
      const tracked = ordersWithConversions(db, rows);
      const out: (AdjustOutcome | null)[] = [];
      for (const o of rows) {
        if (!tracked.has(`${o.workspaceId}\u0000${o.orderId}`)) {
          out.push(null);
          continue;
        }
        const r = await applyAdjustment(tx, requestOfOrder(o, now), now, adjustCtx());
        out.push(r.status === "applied" ? r : null);
      }
      return out;
    },
    "recon.adjust": async (requests: AdjustmentRequest[], now: number): Promise<AdjustOutcome[]> => {
      tx ??= new SqliteAdjustTx(db, () => ctx.credits());
      const out: AdjustOutcome[] = [];
      for (const r of requests) out.push(await applyAdjustment(tx, r, now, adjustCtx()));
      return out;
    },
  };
}
