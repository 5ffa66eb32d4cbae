/**
 * persist: the event with its credits, an outbox row for each destination the transaction
 * reads from the database (never a node's cache: a destination created on any node before the
 * event commits gets its row), and the event's counts in the rollups.
 */
import { routeEvent } from "../../domain/destination-route.js";
import type { CommitOutcome } from "../../domain/event.js";
import type { CommitContext, CommitItem, CommitTx, Credits } from "../tx.js";
import { isExcluded } from "./quality.js";
import { rollupValue } from "./rollup-value.js";
import { eventSeries } from "../../monitoring/series.js";

export async function persist(
  tx: CommitTx,
  item: CommitItem,
  credits: Credits | null,
  person: string | null,
  ctx: CommitContext,
): Promise<CommitOutcome> {
  const ev = item.event;
  const ws = ev.workspaceId;
  const isTest = ev.testEventCode !== null;
  await tx.insertEvent(ev, credits, item.source, person);
  // A flagged conversion the workspace excludes is kept and listed, never forwarded.
  if (item.windows && !isExcluded(item)) {
    const destinations = routeEvent(await tx.destinationRoutes(ws), ev.eventName, isTest);
    if (destinations.length > 0) await tx.insertDeliveries(ws, ev.id, destinations, ev.receivedAt);
  }
  if (!isTest) ctx.rollups.count(ws, ev.receivedAt, eventSeries(ev, item.source));
  if (!isTest) {
    const value = item.windows ? rollupValue(ev.value, ev.currency, ws, ctx) : 0;
    // Flagged ones are counted apart too, so metrics can leave them out when asked (exclude).
    const flagged = item.windows && ev.quality && ev.quality.flags.length > 0;
    ctx.rollups.add(
      ws,
      ev.receivedAt,
      item.windows
        ? flagged
          ? { accepted: 1, conversions: 1, value, flagged: 1, flagged_value: value }
          : { accepted: 1, conversions: 1, value }
        : { accepted: 1 },
    );
  }
  const out: CommitOutcome = credits
    ? { status: "accepted", id: ev.id, attribution: credits }
    : { status: "accepted", id: ev.id };
  if (ev.quality) out.quality = ev.quality;
  return out;
}
