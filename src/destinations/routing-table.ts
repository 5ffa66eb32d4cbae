/**
 * Which destinations an event goes to, answered synchronously from memory on the ingest path
 * (the outbox rows are written in the event's own transaction). A destination takes the
 * event names of its `events` list, by default every conversion action — except Google Ads
 * and LinkedIn, which can only send the events they have a conversion action / rule for.
 * Test events go only to destinations with a test mode (Meta, TikTok, Google Ads).
 */
import { mappedEvents } from "./config-schema.js";
import type { ActiveDestination } from "./outbox-worker.js";

interface Route {
  id: string;
  accepts: Set<string> | null; // null: every conversion action
  testMode: boolean;
}

export function routeOf(d: ActiveDestination): Route {
  const explicit = d.record.events;
  const mapped = mappedEvents(d.config);
  let accepts: Set<string> | null = explicit ? new Set(explicit) : null;
  if (mapped) accepts = new Set(mapped.filter((n) => accepts === null || accepts.has(n)));
  return { id: d.record.id, accepts, testMode: d.adapter.testMode };
}

export class RoutingTable {
  private byWorkspace = new Map<string, Route[]>();

  /** Replaces the whole table. */
  set(destinations: Iterable<ActiveDestination>): void {
    const next = new Map<string, Route[]>();
    for (const d of destinations) {
      const list = next.get(d.record.workspaceId) ?? [];
      list.push(routeOf(d));
      next.set(d.record.workspaceId, list);
    }
    this.byWorkspace = next;
  }

  /**
   * @example
   * table.route("ws_…", "Purchase", false); // ["dst_…meta", "dst_…webhook"]
   * table.route("ws_…", "Purchase", true);  // ["dst_…meta"]: no test mode for webhooks
   */
  route(workspaceId: string, eventName: string, isTest: boolean): string[] {
    const list = this.byWorkspace.get(workspaceId);
    if (!list) return [];
    const out: string[] = [];
    for (const r of list) {
      if (isTest && !r.testMode) continue;
      if (r.accepts !== null && !r.accepts.has(eventName)) continue;
      out.push(r.id);
    }
    return out;
  }
}
