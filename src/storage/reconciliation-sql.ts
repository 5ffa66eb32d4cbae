/**
 * The reconciliation report's sums as SQL: the database matches orders and conversions by
 * order id and groups them, so a month of 1 M orders against 1 M conversions comes back as a
 * few thousand group rows instead of 2 M rows matched in JavaScript (that took 14–38 s, most
 * of it building row arrays and a map of 2 M entries). Two statements per report: the CRM
 * side (orders of [from, to) with their conversion) and the tracked side (conversions of
 * [from, to), confirmed or not); `mergeSums` puts them together.
 *
 * The match, the same on both backends: an order's conversion is the earliest (by event_time,
 * then id) conversion of its order id and event name within [from − margin, to + margin) —
 * read with the month from one covering index and joined in one pass — and, when there is
 * none there, the earliest of any time (an index lookup by order id, for the few orders
 * tracked far from their time). A conversion is unconfirmed when it has no order id or no CRM
 * order (of any event name) has it.
 *
 * @example
 * const p = { ws, ev: "Purchase", lo: from - MATCH_MARGIN_MS, hi: to + MATCH_MARGIN_MS, from, to };
 * const crm = db.prepare(sqliteOrderSumsSql(false)).all(p);
 * const tracked = db.prepare(sqliteConversionSumsSql(false)).all({ ws, ev: "Purchase", from, to });
 * mergeSums(crm, tracked, false); // ReconcileSums[], one per 15-minute slice
 */
import { SLICE_MS, zeroReconcileTotals, type ReconcileSums } from "./reconciliation-store.js";

/** How far around [from, to) conversions are read at once to meet their order. */
export const MATCH_MARGIN_MS = 7 * 86_400_000;

/**
 * The PostgreSQL settings of the report's transactions: memory to hash and sort a month of
 * 1 M orders (~200 MB) without spilling, no JIT (it compiled for 1.8 s of a 5 s query), and
 * a minute instead of the pool's 15 s per statement (a month of 1 M orders on a busy
 * database; the pool's limit is for a database that does not answer).
 */
export const PG_REPORT_SETTINGS = [
  "SET LOCAL work_mem = '256MB'",
  "SET LOCAL jit = off",
  "SET LOCAL statement_timeout = '60s'",
];

/** One group row of either statement (the other side's columns absent). */
export interface SumsRow {
  key: number | string | null;
  crm_orders?: number | null;
  crm_value?: number | null;
  matched_orders?: number | null;
  matched_crm_value?: number | null;
  matched_tracked_value?: number | null;
  missing_orders?: number | null;
  missing_value?: number | null;
  mismatch_orders?: number | null;
  mismatch_difference?: number | null;
  refunded_orders?: number | null;
  refunded_value?: number | null;
  tracked_conversions?: number | null;
  tracked_value?: number | null;
  unconfirmed_conversions?: number | null;
  unconfirmed_value?: number | null;
}

/** The 15-minute slice of a ms time column (a floor, negative times too). */
const slice = (col: string) =>
  `((${col} - ((${col} % ${SLICE_MS}) + ${SLICE_MS}) % ${SLICE_MS}) / ${SLICE_MS})`;

/** The value as tracked (before the first adjustment); a conversion without a value counts 0. */
const TRACKED = (e: string) =>
  `COALESCE(CASE WHEN ${e}.adjusted_at IS NULL THEN ${e}.value ELSE ${e}.tracked_value END, 0)`;

/** The group key: the slice of `time`, or the last-click platform of conversion `cid`. */
function groupKey(byPlatform: boolean, from: string, time: string, cid: string, ws: string) {
  return byPlatform
    ? {
        key: `COALESCE(p.platform, 'unattributed')`,
        from: `${from} LEFT JOIN credits p ON p.workspace_id = ${ws} AND p.event_ref = ${cid} AND p.model = 'last_click' AND p.ord = 0`,
      }
    : { key: slice(time), from };
}

/** The CRM side's figures over rows m(time, value, refunded, cid, tracked). */
const ORDER_FIGURES = (yes: string) => `count(*) AS crm_orders, sum(m.value) AS crm_value,
  sum(CASE WHEN m.cid IS NOT NULL THEN 1 ELSE 0 END) AS matched_orders,
  sum(CASE WHEN m.cid IS NOT NULL THEN m.value END) AS matched_crm_value,
  sum(CASE WHEN m.cid IS NOT NULL THEN m.tracked END) AS matched_tracked_value,
  sum(CASE WHEN m.cid IS NULL THEN 1 ELSE 0 END) AS missing_orders,
  sum(CASE WHEN m.cid IS NULL THEN m.value END) AS missing_value,
  sum(CASE WHEN m.cid IS NOT NULL AND abs(m.value - m.tracked) > ${yes} THEN 1 ELSE 0 END) AS mismatch_orders,
  sum(CASE WHEN m.cid IS NOT NULL AND abs(m.value - m.tracked) > ${yes} THEN m.value - m.tracked END) AS mismatch_difference,
  sum(CASE WHEN m.refunded THEN 1 ELSE 0 END) AS refunded_orders,
  sum(CASE WHEN m.refunded THEN m.value END) AS refunded_value`;

const CONVERSION_FIGURES = `count(*) AS tracked_conversions, sum(x.tracked) AS tracked_value,
  sum(CASE WHEN x.unconfirmed THEN 1 ELSE 0 END) AS unconfirmed_conversions,
  sum(CASE WHEN x.unconfirmed THEN x.tracked END) AS unconfirmed_value`;

/**
 * SQLite, CRM side. Parameters: { ws, ev (event name), lo, hi (the window), from, to }. A
 * sort-merge join written as one GROUP BY: the month's orders and the window's conversions
 * (two covering index scans) sorted together by order id, each group giving the order and its
 * earliest conversion (the bare columns of MIN, the only MIN/MAX of that SELECT); orders
 * without one there are looked up by order id. One sort of 2 M short rows, no index built.
 */
export function sqliteOrderSumsSql(byPlatform: boolean): string {
  const g = groupKey(byPlatform, "m", "m.time", "m.cid", "@ws");
  return `SELECT ${g.key} AS key, ${ORDER_FIGURES("0.01")} FROM (
    SELECT j.time AS time, j.value AS value, j.refunded AS refunded, COALESCE(j.id, f.id) AS cid,
      CASE WHEN j.id IS NOT NULL THEN j.tracked WHEN f.id IS NOT NULL THEN ${TRACKED("f")} END AS tracked
    FROM (
      SELECT u.order_id AS order_id, sum(u.time) AS time, sum(u.value) AS value, sum(u.refunded) AS refunded,
        min(u.ctime) AS ctime, u.id AS id, u.tracked AS tracked
      FROM (
        SELECT o.order_id AS order_id, o.time AS time, o.value AS value, o.status <> 'completed' AS refunded,
          NULL AS ctime, NULL AS id, NULL AS tracked
        FROM crm_orders o INDEXED BY crm_orders_time
        WHERE o.workspace_id = @ws AND o.event_name = @ev AND o.time >= @from AND o.time < @to
        UNION ALL
        SELECT e.order_id, NULL, NULL, NULL, e.event_time, e.id, ${TRACKED("e")}
        FROM events e INDEXED BY events_reconcile
        WHERE e.workspace_id = @ws AND e.is_conversion = 1 AND e.test_event_code IS NULL AND e.event_name = @ev
          AND e.event_time >= @lo AND e.event_time < @hi AND e.order_id IS NOT NULL
      ) u
      GROUP BY u.order_id
    ) j
    LEFT JOIN events f ON j.id IS NULL AND f.rowid = (SELECT x.rowid FROM events x INDEXED BY events_order
        WHERE x.workspace_id = @ws AND x.order_id = j.order_id AND x.event_name = @ev AND x.is_conversion = 1
          AND x.test_event_code IS NULL ORDER BY x.event_time, x.id LIMIT 1)
    WHERE j.time IS NOT NULL
  ) ${g.from} GROUP BY 1`;
}

/** SQLite, tracked side. Parameters: { ws, ev, from, to }. */
export function sqliteConversionSumsSql(byPlatform: boolean): string {
  const g = groupKey(byPlatform, "x", "x.time", "x.id", "@ws");
  return `SELECT ${g.key} AS key, ${CONVERSION_FIGURES} FROM (
    SELECT e.id AS id, e.event_time AS time, ${TRACKED("e")} AS tracked, c.order_id IS NULL AS unconfirmed
    FROM events e INDEXED BY events_reconcile
    LEFT JOIN crm_orders c ON c.workspace_id = @ws AND c.order_id = e.order_id
    WHERE e.workspace_id = @ws AND e.is_conversion = 1 AND e.test_event_code IS NULL AND e.event_name = @ev
      AND e.event_time >= @from AND e.event_time < @to
  ) ${g.from} GROUP BY 1`;
}

/**
 * PostgreSQL, CRM side: the window's earliest conversion per order id (DISTINCT ON, sorted in
 * the C collation, cheaper than the database's own), hash-joined to the month's orders; the
 * orders without one there looked up by order id (a subquery only they run; OFFSET 0 keeps it
 * from being copied into each use of its column).
 */
export function pgOrderSumsSql(byPlatform: boolean): string {
  const g = groupKey(byPlatform, "m", "m.time", "m.cid", "$1");
  return `WITH w AS MATERIALIZED (
    SELECT DISTINCT ON (e.order_id COLLATE "C") e.order_id, e.id, ${TRACKED("e")} AS tracked
    FROM events e
    WHERE e.workspace_id = $1 AND e.is_conversion AND e.test_event_code IS NULL AND e.event_name = $2
      AND e.event_time >= $3 AND e.event_time < $4 AND e.order_id IS NOT NULL
    ORDER BY e.order_id COLLATE "C", e.event_time, e.id
  )
  SELECT ${g.key} AS key, ${ORDER_FIGURES("0.01::float8")} FROM (
    SELECT j.time, j.value, j.refunded, COALESCE(j.wid, j.fid) AS cid,
      CASE WHEN j.wid IS NOT NULL THEN j.wtracked
        WHEN j.fid IS NOT NULL THEN (SELECT ${TRACKED("e")} FROM events e WHERE e.workspace_id = $1 AND e.id = j.fid) END AS tracked
    FROM (
      SELECT o.time, o.value, o.status <> 'completed' AS refunded, w.id AS wid, w.tracked AS wtracked,
        CASE WHEN w.id IS NULL THEN (SELECT e.id FROM events e
          WHERE e.workspace_id = $1 AND e.order_id = o.order_id AND e.event_name = $2
            AND e.is_conversion AND e.test_event_code IS NULL ORDER BY e.event_time, e.id LIMIT 1) END AS fid
      FROM crm_orders o LEFT JOIN w ON w.order_id = o.order_id
      WHERE o.workspace_id = $1 AND o.event_name = $2 AND o.time >= $5 AND o.time < $6
      OFFSET 0
    ) j
  ) ${g.from} GROUP BY 1`;
}

/** PostgreSQL, tracked side: the orders joined by order id (an anti-join, hashed or merged). */
export function pgConversionSumsSql(byPlatform: boolean): string {
  const g = groupKey(byPlatform, "x", "x.time", "x.id", "$1");
  return `WITH x AS (
    SELECT e.id, e.event_time AS time, ${TRACKED("e")} AS tracked, c.order_id IS NULL AS unconfirmed
    FROM events e LEFT JOIN crm_orders c ON c.workspace_id = $1 AND c.order_id = e.order_id
    WHERE e.workspace_id = $1 AND e.is_conversion AND e.test_event_code IS NULL AND e.event_name = $2
      AND e.event_time >= $3 AND e.event_time < $4
  )
  SELECT ${g.key} AS key, ${CONVERSION_FIGURES} FROM ${g.from} GROUP BY 1`;
}

const num = (v: number | string | null | undefined): number => (v == null ? 0 : Number(v));

/** Both statements' group rows as one ReconcileSums per slice or platform. */
export function mergeSums(crm: SumsRow[], tracked: SumsRow[], byPlatform: boolean): ReconcileSums[] {
  const out = new Map<string | number, ReconcileSums>();
  const at = (key: number | string | null): ReconcileSums => {
    const k = byPlatform ? String(key) : Number(key);
    let r = out.get(k);
    if (!r)
      out.set(
        k,
        (r = {
          slice: byPlatform ? null : (k as number),
          platform: byPlatform ? (k as string) : null,
          ...zeroReconcileTotals(),
        }),
      );
    return r;
  };
  for (const s of crm) {
    const r = at(s.key);
    r.crmOrders += num(s.crm_orders);
    r.crmValue += num(s.crm_value);
    r.matchedOrders += num(s.matched_orders);
    r.matchedCrmValue += num(s.matched_crm_value);
    r.matchedTrackedValue += num(s.matched_tracked_value);
    r.missingOrders += num(s.missing_orders);
    r.missingValue += num(s.missing_value);
    r.mismatchOrders += num(s.mismatch_orders);
    r.mismatchDifference += num(s.mismatch_difference);
    r.refundedOrders += num(s.refunded_orders);
    r.refundedValue += num(s.refunded_value);
  }
  for (const s of tracked) {
    const r = at(s.key);
    r.trackedConversions += num(s.tracked_conversions);
    r.trackedValue += num(s.tracked_value);
    r.unconfirmedConversions += num(s.unconfirmed_conversions);
    r.unconfirmedValue += num(s.unconfirmed_value);
  }
  return [...out.values()];
}
