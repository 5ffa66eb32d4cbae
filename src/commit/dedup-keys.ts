/**
 * Dedup keys per API.md: same event name and equal `event_id`s, or equal `order_id`s when at
 * least one of the two has no `event_id` (two different `event_id`s are never duplicates).
 * `o|` marks an order id claimed by an event without event_id, `x|` one claimed by an event
 * with one. Test events live in their own namespace (`t…`) so they never shadow real ones.
 *
 * @example
 * dedupKeys({ eventName: "Purchase", eventId: "e1", orderId: "o1", testEventCode: null });
 * // { lookup: ["e|Purchase|e1", "o|Purchase|o1"], claim: ["e|Purchase|e1", "x|Purchase|o1"] }
 */
import type { DedupKeyFields, DedupKeys } from "./tx.js";

export function dedupKeys(ev: DedupKeyFields): DedupKeys {
  const ns = ev.testEventCode === null ? "" : "t";
  const name = ev.eventName;
  if (ev.eventId !== null) {
    const e = `${ns}e|${name}|${ev.eventId}`;
    if (ev.orderId === null) return { lookup: [e], claim: [e] };
    return { lookup: [e, `${ns}o|${name}|${ev.orderId}`], claim: [e, `${ns}x|${name}|${ev.orderId}`] };
  }
  if (ev.orderId !== null) {
    const o = `${ns}o|${name}|${ev.orderId}`;
    return { lookup: [o, `${ns}x|${name}|${ev.orderId}`], claim: [o] };
  }
  return { lookup: [], claim: [] };
}
