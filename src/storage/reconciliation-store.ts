/**
 * What the store keeps of the business's own orders (`POST /v1/crm/orders`, `tally import crm`)
 * and of adjustments to conversions (retractions and restatements, from CRM rows or
 * `POST /v1/adjustments`), and the sums the reconciliation report reads. Both backends
 * implement it (`sqlite/reconciliation-*.ts`, `postgres/reconciliation-store.ts`) and expose it
 * as `Store.reconciliation`; `test/reconciliation/reconciliation-api.test.ts` runs the API on
 * both and `storage/reconciliation-sql.test.ts` checks both reports' SQL against a reference.
 *
 * @example
 * const out = await store.reconciliation.upsertOrders([{ workspaceId, orderId: "A-1",
 *   eventName: "Purchase", time, value: 70, currency: "USD", status: "refunded" }], Date.now());
 * // out[0].adjustment: { type: "retract", conversionId: "evt_…", … } when a conversion had order id A-1
 * await store.reconciliation.reconcile(workspaceId, { from, to, eventName: "Purchase", byPlatform: false });
 */

export const ORDER_STATUSES = ["completed", "refunded", "cancelled"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One CRM order: the business's source of truth. Keyed by (workspace, order id). */
export interface CrmOrderRecord {
  workspaceId: string;
  orderId: string;
  eventName: string;
  /** ms: when the order was placed. */
  time: number;
  value: number;
  currency: string;
  status: OrderStatus;
}

export type AdjustmentType = "retract" | "restate";

/** One adjustment asked for: of the conversion with this id, or with this order id. */
export interface AdjustmentRequest {
  workspaceId: string;
  conversionId: string | null;
  orderId: string | null;
  /** With an order id: only conversions of this event name (a CRM row's). Null: any. */
  eventName: string | null;
  type: AdjustmentType;
  /** The new total value (restate). */
  value: number | null;
  /** Null: the conversion's own currency. */
  currency: string | null;
  /** ms: when the adjustment happened (the platform needs it after the conversion). */
  at: number;
  source: "crm" | "api";
}

/** An adjustment as stored: a line of the conversion's history. */
export interface AdjustmentRecord {
  id: string;
  workspaceId: string;
  conversionId: string;
  type: AdjustmentType;
  source: "crm" | "api";
  orderId: string | null;
  /** The value after it (0 for a retraction) and before it. */
  value: number | null;
  currency: string | null;
  previousValue: number | null;
  previousCurrency: string | null;
  adjustedAt: number;
  createdAt: number;
}

/** What happened to one adjustment request. */
export type AdjustOutcome =
  | {
      status: "applied";
      adjustment: AdjustmentRecord;
      /** The conversion's fields the live feed shows. */
      eventName: string;
      eventTime: number;
      /** Destinations given an outbox row (pending or skipped). */
      destinations: number;
    }
  /** Nothing to do: the conversion is already so (adjusting twice the same way). */
  | { status: "unchanged"; conversionId: string }
  | { status: "not_found" }
  | { status: "invalid"; field: string; message: string };

export interface ReconcileQuery {
  from: number;
  to: number;
  eventName: string;
  /** Group by the last-click platform instead of by time. */
  byPlatform: boolean;
}

/**
 * Sums of one group: a 15-minute slice of time (`slice` = floor(ms / 15 min); by its order's
 * time for the CRM side, by event_time for the tracked side) or a platform. Values as tracked.
 */
export interface ReconcileSums {
  slice: number | null;
  platform: string | null;
  crmOrders: number;
  crmValue: number;
  matchedOrders: number;
  matchedCrmValue: number;
  matchedTrackedValue: number;
  missingOrders: number;
  missingValue: number;
  mismatchOrders: number;
  mismatchDifference: number;
  refundedOrders: number;
  refundedValue: number;
  trackedConversions: number;
  trackedValue: number;
  unconfirmedConversions: number;
  unconfirmedValue: number;
}

export const SLICE_MS = 15 * 60_000;

/** The figures of a group, without its key. */
export type ReconcileTotals = Omit<ReconcileSums, "slice" | "platform">;

/** Every figure at zero: where a group's sums start. */
export const zeroReconcileTotals = (): ReconcileTotals => ({
  crmOrders: 0,
  crmValue: 0,
  matchedOrders: 0,
  matchedCrmValue: 0,
  matchedTrackedValue: 0,
  missingOrders: 0,
  missingValue: 0,
  mismatchOrders: 0,
  mismatchDifference: 0,
  refundedOrders: 0,
  refundedValue: 0,
  trackedConversions: 0,
  trackedValue: 0,
  unconfirmedConversions: 0,
  unconfirmedValue: 0,
});

export interface DrillQuery {
  from: number;
  to: number;
  eventName: string;
  kind: "missing" | "unconfirmed";
  limit: number;
}

/** A missing order (no conversion has its id) or an unconfirmed conversion (no order has its id). */
export interface DrillRow {
  /** The order id (missing) or the conversion's order id, if any (unconfirmed). */
  orderId: string | null;
  /** The conversion id (unconfirmed); null for a missing order. */
  conversionId: string | null;
  time: number;
  value: number | null;
  currency: string | null;
}

export interface ReconciliationStore {
  /**
   * Stores the orders, each replacing the row of its order id, and in the same transaction
   * adjusts each order's conversion (refunded/cancelled → retract, completed with another
   * value → restate); durable on resolve. One outcome per row, in order (null: nothing to adjust).
   */
  upsertOrders(rows: CrmOrderRecord[], now: number): Promise<(AdjustOutcome | null)[]>;
  /** Applies the adjustments, one transaction; an outcome per request. */
  adjust(requests: AdjustmentRequest[], now: number): Promise<AdjustOutcome[]>;
  reconcile(workspaceId: string, q: ReconcileQuery): Promise<ReconcileSums[]>;
  drill(workspaceId: string, q: DrillQuery): Promise<DrillRow[]>;
  /** The conversion's adjustments, oldest first (the ledger lists them). */
  adjustmentsOf(workspaceId: string, conversionId: string): Promise<AdjustmentRecord[]>;
}

/** Platforms that take adjustments; every other destination gets a `skipped` row with the reason. */
export const ADJUSTABLE_TYPES: ReadonlySet<string> = new Set(["google_ads", "webhook"]);

/** Why a destination of `type` cannot take an adjustment (the skipped row's `last_error`). */
export function noAdjustmentReason(type: string): string {
  switch (type) {
    case "meta":
      return "Meta's Conversions API has no way to retract or restate a conversion";
    case "tiktok":
      return "TikTok's Events API has no way to retract or restate a conversion";
    case "linkedin":
      return "LinkedIn's Conversions API has no way to retract or restate a conversion";
    default:
      return `${type} has no adjustment API`;
  }
}

/** The JSON of an adjustment's outbox row (no personal data: the platform's ids come from the event). */
export interface AdjustmentPayload {
  id: string;
  conversion_id: string;
  type: AdjustmentType;
  event_name: string;
  event_time: number;
  order_id: string | null;
  value: number | null;
  currency: string | null;
  previous_value: number | null;
  previous_currency: string | null;
  adjusted_at: number;
}
