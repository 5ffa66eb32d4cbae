import type { StoredEvent } from "../storage/storage.js";

/**
 * The id a platform deduplicates on (API.md): the event's `event_id`, else its `order_id`,
 * else Tally's own id. It is the same on every attempt, so a delivery re-sent after a crash
 * between send and mark is counted once by the platform.
 *
 * @example
 * dedupId({ id: "evt_1", eventId: null, orderId: "1001" }); // "1001"
 */
export function dedupId(event: Pick<StoredEvent, "id" | "eventId" | "orderId">): string {
  return event.eventId ?? event.orderId ?? event.id;
}
