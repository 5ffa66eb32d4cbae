/**
 * persist: the event with its credits, an outbox row for each destination the transaction
 * reads from the database (never a node's cache: a destination created on any node before the
 * event commits gets its row), and the event's counts in the rollups.
 */
import { routeEvent } from "../../domain/destination-route.js";
import type { CommitOutcome } from "../../domain/event.js";
import type { CommitContext, CommitItem, CommitTx, Credits } from "../tx.js";
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
  if (item.windows) {
    const destinations = routeEvent(await tx.destinationRoutes(ws), ev.eventName, isTest);
    if (destinations.length > 0) await tx.insertDeliveries(ws, ev.id, destinations, ev.receivedAt);
  }
  if (!isTest) ctx.rollups.count(ws, ev.receivedAt, eventSeries(ev, item.source));
  if (!isTest)
    ctx.rollups.add(
      ws,
      ev.receivedAt,
      item.windows
        ? { accepted: 1, conversions: 1, value: rollupValue(ev.value, ev.currency, ws, ctx) }
        : { accepted: 1 },
    );
  return credits
    ? { status: "accepted", id: ev.id, attribution: credits }
    : { status: "accepted", id: ev.id };
}
