/**
 * `Store.reconciliation` of the embedded store: order rows and adjustments on the writer
 * thread (reconciliation-writes.ts), the report's sums on the read connection. Each CRM order
 * finds its conversion through `events_order` and each conversion its order through the
 * orders' key: two passes over the month, no sort.
 */
import type Database from "better-sqlite3";
import {
  SLICE_MS,
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
  mergeSums,
  type AdjustmentRow,
  type OrderSideRow,
  type TrackedSideRow,
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
const LAST_CLICK = (ref: string) =>
  `COALESCE((SELECT platform FROM credits WHERE event_ref = ${ref} AND model = 'last_click' LIMIT 1), 'unattributed')`;

export function reconcileSqlite(
  db: Database.Database,
  workspaceId: string,
  q: ReconcileQuery,
): ReconcileSums[] {
  const group = q.byPlatform
    ? { select: `NULL AS slice, ${LAST_CLICK("eid")} AS platform`, by: "platform" }
    : { select: `t / ${SLICE_MS} AS slice, NULL AS platform`, by: "slice" };
  const orders = db
    .prepare(
      `SELECT ${group.select}, COUNT(*) AS crm_orders, SUM(ov) AS crm_value,
         SUM(m) AS matched_orders, SUM(m * ov) AS matched_crm_value, SUM(m * tv) AS matched_tracked_value,
         SUM(m * (ABS(ov - tv) > 0.01)) AS mismatch_orders,
         SUM(CASE WHEN m = 1 AND ABS(ov - tv) > 0.01 THEN ov - tv ELSE 0 END) AS mismatch_difference,
         SUM(r) AS refunded_orders, SUM(r * ov) AS refunded_value
       FROM (SELECT o.time AS t, o.value AS ov, o.status <> 'completed' AS r, e.id IS NOT NULL AS m, e.id AS eid,
               COALESCE(${TRACKED}, 0) AS tv
             FROM crm_orders o LEFT JOIN events e ON e.rowid = (${MATCH})
             WHERE o.workspace_id = ? AND o.event_name = ? AND o.time >= ? AND o.time < ?)
       GROUP BY ${group.by}`,
    )
    .all(workspaceId, q.eventName, q.from, q.to) as OrderSideRow[];
  const trackedGroup = q.byPlatform
    ? { select: `NULL AS slice, ${LAST_CLICK("id")} AS platform`, by: "platform" }
    : { select: `t / ${SLICE_MS} AS slice, NULL AS platform`, by: "slice" };
  const tracked = db
    .prepare(
      `SELECT ${trackedGroup.select}, COUNT(*) AS tracked_conversions, SUM(tv) AS tracked_value,
         SUM(u) AS unconfirmed_conversions, SUM(u * tv) AS unconfirmed_value
       FROM (SELECT e.id AS id, e.event_time AS t, COALESCE(${TRACKED}, 0) AS tv,
               (e.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM crm_orders c
                  WHERE c.workspace_id = e.workspace_id AND c.order_id = e.order_id)) AS u
             FROM events e INDEXED BY events_conversions
             WHERE e.workspace_id = ? AND e.is_conversion = 1 AND e.test_event_code IS NULL
               AND e.event_time >= ? AND e.event_time < ? AND e.event_name = ?)
       GROUP BY ${trackedGroup.by}`,
    )
    .all(workspaceId, q.from, q.to, q.eventName) as TrackedSideRow[];
  return mergeSums(orders, tracked);
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
