/**
 * Adjusting a conversion, once for both backends: each runs it inside its own transaction over
 * an `AdjustTx` (storage/sqlite/reconciliation-writes.ts, storage/postgres/reconciliation-store.ts).
 * Retracting and restating change the conversion's current value (events, credits, rollups in
 * one place, `setConversionValue`), keep the old one in the adjustments table, and queue an
 * adjustment for every destination that received the conversion (or a `skipped` row saying
 * why its platform cannot take one). Adjusting twice the same way changes nothing.
 */
import type { MaybePromise } from "../commit/tx.js";
import { newId } from "../domain/ids.js";
import type { RollupAccumulator } from "../monitoring/rollups.js";
import {
  ADJUSTABLE_TYPES,
  noAdjustmentReason,
  type AdjustmentPayload,
  type AdjustmentRecord,
  type AdjustmentRequest,
  type AdjustOutcome,
  type CrmOrderRecord,
} from "../storage/reconciliation-store.js";

/** Values closer than this are the same (a cent). */
export const VALUE_TOLERANCE = 0.01;

/** What an adjustment needs to know of a stored conversion. */
export interface ConversionState {
  id: string;
  eventName: string;
  eventTime: number;
  receivedAt: number;
  orderId: string | null;
  value: number | null;
  currency: string | null;
  retracted: boolean;
}

export interface NewValue {
  value: number | null;
  currency: string | null;
  retracted: boolean;
}

/** An outbox row for one destination: pending (to send), or skipped with the reason. */
export interface AdjustmentDelivery {
  destinationId: string;
  status: "pending" | "skipped";
  error: string | null;
}

export interface AdjustTx {
  /** A non-test conversion by id, or by order id (of `eventName` when given; the earliest). */
  findConversion(req: AdjustmentRequest): MaybePromise<ConversionState | null>;
  /**
   * The one place a conversion's value changes after it was stored: the event row (its value
   * as tracked kept on the first change), its credits, and the rollups' delta.
   */
  setConversionValue(
    workspaceId: string,
    c: ConversionState,
    next: NewValue,
    now: number,
  ): MaybePromise<void>;
  insertAdjustment(a: AdjustmentRecord): MaybePromise<void>;
  /** Destinations (not deleted) that delivered the conversion or are sending it now, with their type. */
  receivedBy(
    workspaceId: string,
    conversionId: string,
    now: number,
  ): MaybePromise<{ id: string; type: string }[]>;
  /** Its event deliveries still waiting (not leased): a retracted conversion is not sent. */
  skipWaitingDeliveries(
    workspaceId: string,
    conversionId: string,
    now: number,
    reason: string,
  ): MaybePromise<void>;
  insertAdjustmentDeliveries(
    workspaceId: string,
    conversionId: string,
    rows: AdjustmentDelivery[],
    payload: AdjustmentPayload,
    now: number,
  ): MaybePromise<void>;
}

export interface AdjustContext {
  rollups: RollupAccumulator;
  currencyOf(workspaceId: string): string | null;
}

/** The adjustment a CRM order asks of its conversion, if any (decided once the conversion is found). */
export function requestOfOrder(o: CrmOrderRecord, now: number): AdjustmentRequest {
  return {
    workspaceId: o.workspaceId,
    conversionId: null,
    orderId: o.orderId,
    eventName: o.eventName,
    type: o.status === "completed" ? "restate" : "retract",
    value: o.value,
    currency: o.currency,
    at: now,
    source: "crm",
  };
}

export type Decision =
  { kind: "none" } | { kind: "apply"; next: NewValue } | { kind: "invalid"; field: string; message: string };

/**
 * Pure: what `req` does to a conversion in state `c`.
 *
 * @example
 * decide({ ...c, value: 70, retracted: false }, { ...req, type: "restate", value: 70 }); // { kind: "none" }
 * decide({ ...c, retracted: false }, { ...req, type: "retract" }); // { kind: "apply", next: { retracted: true, … } }
 */
export function decide(c: ConversionState, req: AdjustmentRequest): Decision {
  if (req.type === "retract")
    return c.retracted
      ? { kind: "none" }
      : { kind: "apply", next: { value: c.value, currency: c.currency, retracted: true } };
  if (c.retracted)
    return req.source === "crm"
      ? // A retraction is final at the platforms; a later completed row does not undo it.
        { kind: "none" }
      : {
          kind: "invalid",
          field: "type",
          message: "The conversion is retracted; a retracted conversion cannot be restated.",
        };
  const currency = req.currency ?? c.currency;
  if (req.value === null)
    return { kind: "invalid", field: "value", message: "A restatement needs `value`, the new total value." };
  if (req.at < c.eventTime)
    return {
      kind: "invalid",
      field: "time",
      message: "`time` is before the conversion; an adjustment comes after it.",
    };
  const same =
    c.value !== null &&
    Math.abs(c.value - req.value) <= VALUE_TOLERANCE &&
    (currency ?? null) === (c.currency ?? currency ?? null);
  return same ? { kind: "none" } : { kind: "apply", next: { value: req.value, currency, retracted: false } };
}

/** What a conversion adds to the rollups: its value in the workspace currency, none when retracted. */
function rollupOf(v: NewValue, ws: string, ctx: AdjustContext): { conversions: number; value: number } {
  if (v.retracted) return { conversions: 0, value: 0 };
  const value = v.value !== null && (v.currency === null || v.currency === ctx.currencyOf(ws)) ? v.value : 0;
  return { conversions: 1, value };
}

/**
 * The rollup delta of a value change: in the minute the conversion first arrived (where it was
 * counted), as superseding moves it.
 */
export function rollupDelta(before: NewValue, after: NewValue, ws: string, ctx: AdjustContext) {
  const a = rollupOf(before, ws, ctx);
  const b = rollupOf(after, ws, ctx);
  return { conversions: b.conversions - a.conversions, value: b.value - a.value };
}

export async function applyAdjustment(
  tx: AdjustTx,
  req: AdjustmentRequest,
  now: number,
  ctx: AdjustContext,
): Promise<AdjustOutcome> {
  const c = await tx.findConversion(req);
  if (!c) return { status: "not_found" };
  const d = decide(c, req);
  if (d.kind === "invalid") return { status: "invalid", field: d.field, message: d.message };
  if (d.kind === "none") return { status: "unchanged", conversionId: c.id };
  const ws = req.workspaceId;
  await tx.setConversionValue(ws, c, d.next, now);
  const delta = rollupDelta(c, d.next, ws, ctx);
  if (delta.conversions !== 0 || delta.value !== 0) ctx.rollups.add(ws, c.receivedAt, delta);
  const adjustment: AdjustmentRecord = {
    id: newId("adj", now),
    workspaceId: ws,
    conversionId: c.id,
    type: req.type,
    source: req.source,
    orderId: req.orderId ?? c.orderId,
    value: req.type === "retract" ? 0 : d.next.value,
    currency: d.next.currency,
    previousValue: c.value,
    previousCurrency: c.currency,
    adjustedAt: Math.max(req.at, c.eventTime),
    createdAt: now,
  };
  await tx.insertAdjustment(adjustment);
  if (req.type === "retract")
    await tx.skipWaitingDeliveries(ws, c.id, now, "the conversion was retracted before it was sent");
  const targets = await tx.receivedBy(ws, c.id, now);
  const rows: AdjustmentDelivery[] = targets.map((t) =>
    ADJUSTABLE_TYPES.has(t.type)
      ? { destinationId: t.id, status: "pending", error: null }
      : { destinationId: t.id, status: "skipped", error: noAdjustmentReason(t.type) },
  );
  if (rows.length > 0) await tx.insertAdjustmentDeliveries(ws, c.id, rows, payloadOf(adjustment, c), now);
  return {
    status: "applied",
    adjustment,
    eventName: c.eventName,
    eventTime: c.eventTime,
    destinations: rows.length,
  };
}

export function payloadOf(
  a: AdjustmentRecord,
  c: Pick<ConversionState, "eventName" | "eventTime">,
): AdjustmentPayload {
  return {
    id: a.id,
    conversion_id: a.conversionId,
    type: a.type,
    event_name: c.eventName,
    event_time: c.eventTime,
    order_id: a.orderId,
    value: a.value,
    currency: a.currency,
    previous_value: a.previousValue,
    previous_currency: a.previousCurrency,
    adjusted_at: a.adjustedAt,
  };
}
