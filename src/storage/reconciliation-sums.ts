/**
 * What both backends do the same way with the reconciliation sums: the two queries (CRM side,
 * tracked side) answer rows of these shapes, merged here per slice or platform.
 */
import type { AdjustmentRecord, ReconcileSums } from "./reconciliation-store.js";

export interface OrderSideRow {
  slice: number | null;
  platform: string | null;
  crm_orders: number;
  crm_value: number | null;
  matched_orders: number;
  matched_crm_value: number | null;
  matched_tracked_value: number | null;
  mismatch_orders: number;
  mismatch_difference: number | null;
  refunded_orders: number;
  refunded_value: number | null;
}

export interface TrackedSideRow {
  slice: number | null;
  platform: string | null;
  tracked_conversions: number;
  tracked_value: number | null;
  unconfirmed_conversions: number;
  unconfirmed_value: number | null;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

function empty(slice: number | null, platform: string | null): ReconcileSums {
  return {
    slice,
    platform,
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
  };
}

export function mergeSums(orders: OrderSideRow[], tracked: TrackedSideRow[]): ReconcileSums[] {
  const out = new Map<string, ReconcileSums>();
  const at = (slice: number | null, platform: string | null) => {
    const s = slice === null ? null : Number(slice);
    const k = `${s}|${platform}`;
    let r = out.get(k);
    if (!r) out.set(k, (r = empty(s, platform)));
    return r;
  };
  for (const o of orders) {
    const r = at(o.slice, o.platform);
    r.crmOrders += num(o.crm_orders);
    r.crmValue += num(o.crm_value);
    r.matchedOrders += num(o.matched_orders);
    r.matchedCrmValue += num(o.matched_crm_value);
    r.matchedTrackedValue += num(o.matched_tracked_value);
    r.missingOrders += num(o.crm_orders) - num(o.matched_orders);
    r.missingValue += num(o.crm_value) - num(o.matched_crm_value);
    r.mismatchOrders += num(o.mismatch_orders);
    r.mismatchDifference += num(o.mismatch_difference);
    r.refundedOrders += num(o.refunded_orders);
    r.refundedValue += num(o.refunded_value);
  }
  for (const t of tracked) {
    const r = at(t.slice, t.platform);
    r.trackedConversions += num(t.tracked_conversions);
    r.trackedValue += num(t.tracked_value);
    r.unconfirmedConversions += num(t.unconfirmed_conversions);
    r.unconfirmedValue += num(t.unconfirmed_value);
  }
  return [...out.values()];
}

export interface AdjustmentRow {
  id: string;
  workspace_id: string;
  conversion_id: string;
  type: string;
  source: string;
  order_id: string | null;
  value: number | null;
  currency: string | null;
  previous_value: number | null;
  previous_currency: string | null;
  adjusted_at: number | string;
  created_at: number | string;
}

export const adjustmentOfRow = (r: AdjustmentRow): AdjustmentRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  conversionId: r.conversion_id,
  type: r.type as AdjustmentRecord["type"],
  source: r.source as AdjustmentRecord["source"],
  orderId: r.order_id,
  value: r.value === null ? null : Number(r.value),
  currency: r.currency,
  previousValue: r.previous_value === null ? null : Number(r.previous_value),
  previousCurrency: r.previous_currency,
  adjustedAt: Number(r.adjusted_at),
  createdAt: Number(r.created_at),
});
