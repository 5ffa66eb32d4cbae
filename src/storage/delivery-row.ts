/**
 * A claimed outbox row as both backends' claims return it, and the job the outbox worker gets
 * from it. The backends differ in how they find the row's event (SQLite joins it, PostgreSQL
 * reads it in the partitions its id names), not in what they make of the two.
 */
import type { AdjustmentPayload } from "./reconciliation-store.js";
import { eventFromRow, type EventRow } from "./event-row.js";
import type { DeliveryJob } from "./storage.js";

export interface ClaimedDeliveryRow {
  delivery_id: string;
  destination_id: string;
  attempts: number;
  delivery_created_at: number;
  delivery_kind: string;
  /** The event (an event's delivery), the conversion (an adjustment's) or the signal. */
  delivery_ref: string;
  delivery_payload: string | null;
}

/**
 * A claimed row with its event's columns joined beside it (`EVENT_READ_COLUMNS`), null when
 * the delivery has no event: what SQLite's claim reads in one statement.
 */
export type ClaimedEventRow = ClaimedDeliveryRow & (EventRow | { [K in keyof EventRow]: null });

/** The job for a claimed row; `event` is the row's event, null when it has none (or none left). */
export function deliveryJobOf(r: ClaimedDeliveryRow, event: EventRow | null): DeliveryJob {
  const base = {
    id: r.delivery_id,
    destinationId: r.destination_id,
    attempts: r.attempts,
    createdAt: r.delivery_created_at,
  };
  if (r.delivery_kind === "event") return { ...base, kind: "event", event: eventFromRow(event!) };
  if (r.delivery_kind === "adjustment") {
    // delivery_ref is the conversion; the adjustment (its id the dedup id) is the payload.
    const payload = JSON.parse(r.delivery_payload ?? "null") as AdjustmentPayload;
    return {
      ...base,
      kind: "adjustment",
      ref: payload.id,
      payload,
      event: event ? eventFromRow(event) : null,
    };
  }
  return { ...base, kind: "signal", ref: r.delivery_ref, payload: JSON.parse(r.delivery_payload ?? "null") };
}
