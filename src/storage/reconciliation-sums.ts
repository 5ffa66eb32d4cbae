/** What both backends do the same way with the adjustments' rows. */
import type { AdjustmentRecord } from "./reconciliation-store.js";

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
