/**
 * The event names a destination takes, stored with it (`route_events`) so the commit can
 * route inside the event's transaction from the database alone (domain/destination-route.ts)
 * without opening the sealed config. A destination takes the names of its `events` list, by
 * default every conversion action — except Google Ads and LinkedIn, which can only send the
 * events they have a conversion action / rule for.
 */
import { mappedEvents, type DestinationConfig } from "./config-schema.js";

/**
 * @example
 * routeEventsOf(null, metaConfig);                     // null: every conversion action
 * routeEventsOf(["Lead"], metaConfig);                 // ["Lead"]
 * routeEventsOf(null, googleConfigMappingPurchase);    // ["Purchase"]
 */
export function routeEventsOf(events: readonly string[] | null, config: DestinationConfig): string[] | null {
  const mapped = mappedEvents(config);
  if (mapped === null) return events ? [...events] : null;
  return events ? mapped.filter((n) => events.includes(n)) : mapped;
}
