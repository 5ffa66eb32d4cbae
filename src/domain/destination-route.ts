/**
 * Which destinations an event goes to, as a pure rule over what the database says of each
 * destination (type, the event names it takes, not deleted). The commit applies it inside the
 * event's own transaction, so an outbox row follows the destinations that exist when the event
 * commits — on any node — and never a node's cached copy of them.
 */

/** One live destination as routing sees it. */
export interface DestinationRoute {
  id: string;
  type: string;
  /** Event names it takes; null: every conversion action. */
  events: ReadonlySet<string> | null;
}

/** Types whose platform has a test mode: only they receive test events. */
export const TEST_MODE_TYPES: ReadonlySet<string> = new Set(["meta", "tiktok", "google_ads"]);

/**
 * Destination ids a conversion goes to (non-conversion events go nowhere; the caller asks only
 * for conversion actions).
 *
 * @example
 * routeEvent(routes, "Purchase", false); // ["dst_…meta", "dst_…webhook"]
 * routeEvent(routes, "Purchase", true);  // ["dst_…meta"]: no test mode for webhooks
 */
export function routeEvent(
  routes: readonly DestinationRoute[],
  eventName: string,
  isTest: boolean,
): string[] {
  const out: string[] = [];
  for (const r of routes) {
    if (isTest && !TEST_MODE_TYPES.has(r.type)) continue;
    if (r.events !== null && !r.events.has(eventName)) continue;
    out.push(r.id);
  }
  return out;
}

/** A route from a stored row: `events` as stored (a JSON list, or null for every action). */
export function routeFromRow(id: string, type: string, events: string[] | null): DestinationRoute {
  return { id, type, events: events === null ? null : new Set(events) };
}
