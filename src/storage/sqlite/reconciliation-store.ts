/**
 * `Store.reconciliation` of the embedded store: order rows and adjustments on the writer
 * thread (reconciliation-writes.ts), the report's sums on the read connection: the month's
 * orders and conversions (± the margin) read from two covering indexes, matched in memory
 * (reconciliation-sums.ts), the few further matches looked up by order id.
 */
import type Database from "better-sqlite3";
import {
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
import {
  adjustmentOfRow,
  Matcher,
  MATCH_MARGIN_MS,
  type AdjustmentRow,
  type ConversionTuple,
  type OrderTuple,
} from "../reconciliation-sums.js";
import type { WriterCall } from "./spend-store.js";

type ReaderCall = <T>(fn: (db: Database.Database) => T) => Promise<T>;

/** The value as tracked: before the first adjustment. */
const TRACKED = `CASE WHEN e.adjusted_at IS NULL THEN e.value ELSE e.tracked_value END`;
/**
 * The order's conversion: the first stored (lowest rowid) of its order id and event name. MIN
 * reads the index alone; ordering by event_time sorted a temporary tree per order.
 */
const MATCH = `SELECT MIN(rowid) FROM events INDEXED BY events_order
  WHERE workspace_id = o.workspace_id AND order_id = o.order_id AND event_name = o.event_name
    AND is_conversion = 1 AND test_event_code IS NULL`;

const IN_CHUNK = 500;

function* chunks<T>(xs: T[]): Generator<T[]> {
  for (let i = 0; i < xs.length; i += IN_CHUNK) yield xs.slice(i, i + IN_CHUNK);
}

export function reconcileSqlite(
  db: Database.Database,
  workspaceId: string,
  q: ReconcileQuery,
): ReconcileSums[] {
  const m = new Matcher(q);
  const lo = q.from - MATCH_MARGIN_MS;
  const hi = q.to + MATCH_MARGIN_MS;
  m.addOrders(
    db
      .prepare(
        `SELECT order_id, time, value, status FROM crm_orders INDEXED BY crm_orders_time
         WHERE workspace_id = ? AND event_name = ? AND time >= ? AND time < ?`,
      )
      .raw()
      .iterate(workspaceId, q.eventName, lo, hi) as Iterable<OrderTuple>,
  );
  m.addConversions(
    db
      .prepare(
        `SELECT e.id, e.order_id, e.event_time, ${TRACKED} FROM events e INDEXED BY events_reconcile
         WHERE e.workspace_id = ? AND e.is_conversion = 1 AND e.test_event_code IS NULL
           AND e.event_name = ? AND e.event_time >= ? AND e.event_time < ?`,
      )
      .raw()
      .iterate(workspaceId, q.eventName, lo, hi) as Iterable<ConversionTuple>,
  );
  // The few matches further away than the margin: looked up by order id.
  for (const ids of chunks(m.orderLookups()))
    m.foundConversions(
      db
        .prepare(
          `SELECT e.id, e.order_id, e.event_time, ${TRACKED} FROM events e INDEXED BY events_order
           WHERE e.workspace_id = ? AND e.order_id IN (${ids.map(() => "?").join(", ")}) AND e.event_name = ?
             AND e.is_conversion = 1 AND e.test_event_code IS NULL`,
        )
        .raw()
        .all(workspaceId, ...ids, q.eventName) as ConversionTuple[],
    );
  for (const ids of chunks(m.conversionLookups()))
    m.knownOrders(
      db
        .prepare(
          `SELECT order_id FROM crm_orders WHERE workspace_id = ? AND order_id IN (${ids.map(() => "?").join(", ")})`,
        )
        .pluck()
        .all(workspaceId, ...ids) as string[],
    );
  if (!q.byPlatform) return m.sums(null);
  const platform = new Map<string, string>();
  for (const [id, p] of db
    .prepare(
      `SELECT event_ref, platform FROM credits INDEXED BY credits_report
       WHERE workspace_id = ? AND model = 'last_click' AND event_time >= ? AND event_time < ? AND ord = 0`,
    )
    .raw()
    .iterate(workspaceId, lo, hi) as Iterable<[string, string]>)
    platform.set(id, p);
  const rest = m.conversionIds().filter((id) => !platform.has(id));
  for (const ids of chunks(rest))
    for (const [id, p] of db
      .prepare(
        `SELECT event_ref, platform FROM credits WHERE event_ref IN (${ids.map(() => "?").join(", ")})
           AND model = 'last_click' AND ord = 0`,
      )
      .raw()
      .all(...ids) as [string, string][])
      platform.set(id, p);
  return m.sums((id) => platform.get(id) ?? null);
}

export function drillSqlite(db: Database.Database, workspaceId: string, q: DrillQuery): DrillRow[] {
  if (q.kind === "missing")
    return db
      .prepare(
        `SELECT o.order_id AS orderId, NULL AS conversionId, o.time AS time, o.value AS value, o.currency AS currency
         FROM crm_orders o INDEXED BY crm_orders_time
         WHERE o.workspace_id = ? AND o.event_name = ? AND o.time >= ? AND o.time < ? AND (${MATCH}) IS NULL
         ORDER BY o.time, o.order_id LIMIT ?`,
      )
      .all(workspaceId, q.eventName, q.from, q.to, q.limit) as DrillRow[];
  return db
    .prepare(
      `SELECT e.order_id AS orderId, e.id AS conversionId, e.event_time AS time, ${TRACKED} AS value, e.currency AS currency
       FROM events e INDEXED BY events_conversions
       WHERE e.workspace_id = ? AND e.is_conversion = 1 AND e.test_event_code IS NULL
         AND e.event_time >= ? AND e.event_time < ? AND e.event_name = ?
         AND (e.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM crm_orders c
               WHERE c.workspace_id = e.workspace_id AND c.order_id = e.order_id))
       ORDER BY e.event_time, e.id LIMIT ?`,
    )
    .all(workspaceId, q.from, q.to, q.eventName, q.limit) as DrillRow[];
}

export class SqliteReconciliationStore implements ReconciliationStore {
  constructor(
    private readonly call: WriterCall,
    private readonly read: ReaderCall,
  ) {}

  upsertOrders(rows: CrmOrderRecord[], now: number): Promise<(AdjustOutcome | null)[]> {
    return this.call("recon.upsertOrders", [rows, now], Math.max(1, rows.length));
  }
  adjust(requests: AdjustmentRequest[], now: number): Promise<AdjustOutcome[]> {
    return this.call("recon.adjust", [requests, now], Math.max(1, requests.length));
  }
  reconcile(workspaceId: string, q: ReconcileQuery): Promise<ReconcileSums[]> {
    return this.read((db) => reconcileSqlite(db, workspaceId, q));
  }
  drill(workspaceId: string, q: DrillQuery): Promise<DrillRow[]> {
    return this.read((db) => drillSqlite(db, workspaceId, q));
  }
  adjustmentsOf(workspaceId: string, conversionId: string): Promise<AdjustmentRecord[]> {
    return this.read((db) =>
      (
        db
          .prepare(
            "SELECT * FROM adjustments WHERE workspace_id = ? AND conversion_id = ? ORDER BY created_at, id",
          )
          .all(workspaceId, conversionId) as AdjustmentRow[]
      ).map(adjustmentOfRow),
    );
  }
}
