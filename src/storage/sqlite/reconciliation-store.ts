/**
 * `Store.reconciliation` of the embedded store: order rows and adjustments on the writer
 * thread (reconciliation-writes.ts), the report's sums and drill-down on the report thread
 * (report-thread.ts), matched and grouped by SQLite itself (reconciliation-sql.ts).
 */
import type { ReportCall } from "./report-names.js";
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
import { adjustmentOfRow, type AdjustmentRow } from "../reconciliation-sums.js";
import {
  MATCH_MARGIN_MS,
  mergeSums,
  sqliteConversionSumsSql,
  sqliteOrderSumsSql,
  type SumsRow,
} from "../reconciliation-sql.js";
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

/**
 * The report's sums: two statements that match and group in SQLite (reconciliation-sql.ts),
 * their few thousand group rows merged here.
 */
export function reconcileSqlite(
  db: Database.Database,
  workspaceId: string,
  q: ReconcileQuery,
): ReconcileSums[] {
  const p = { ws: workspaceId, ev: q.eventName, from: q.from, to: q.to };
  const crm = db
    .prepare(sqliteOrderSumsSql(q.byPlatform))
    .all({ ...p, lo: q.from - MATCH_MARGIN_MS, hi: q.to + MATCH_MARGIN_MS }) as SumsRow[];
  const tracked = db.prepare(sqliteConversionSumsSql(q.byPlatform)).all(p) as SumsRow[];
  return mergeSums(crm, tracked, q.byPlatform);
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
    private readonly report: ReportCall,
  ) {}

  upsertOrders(rows: CrmOrderRecord[], now: number): Promise<(AdjustOutcome | null)[]> {
    return this.call("recon.upsertOrders", [rows, now], Math.max(1, rows.length));
  }
  adjust(requests: AdjustmentRequest[], now: number): Promise<AdjustOutcome[]> {
    return this.call("recon.adjust", [requests, now], Math.max(1, requests.length));
  }
  reconcile(workspaceId: string, q: ReconcileQuery): Promise<ReconcileSums[]> {
    return this.report("reconcile", [workspaceId, q]);
  }
  drill(workspaceId: string, q: DrillQuery): Promise<DrillRow[]> {
    return this.report("drill", [workspaceId, q]);
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
