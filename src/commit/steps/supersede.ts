/**
 * Superseding, part of the dedup decision: the server's copy (secret key) of an event replaces
 * the data of a copy that came first from the browser or the pixel (public key), which may be
 * forged. It still counts once; the value, the credits' value, the rollups and the outbox follow
 * the server's copy, the attribution stays as computed at first arrival.
 */
import type { SupersededEvent } from "../../domain/event.js";
import type { CommitContext, CommitItem, CommitTx, StoredCopy } from "../tx.js";
import { rollupValue } from "./rollup-value.js";

/**
 * A browser copy never supersedes, and a copy already superseded (or first sent by the server)
 * is not superseded again. Events stored before sources were recorded are left as they are.
 */
export function supersedes(
  source: CommitItem["source"],
  stored: Pick<StoredCopy, "source" | "supersededAt">,
): boolean {
  return (
    source === "server" &&
    (stored.source === "browser" || stored.source === "pixel") &&
    stored.supersededAt === null
  );
}

/**
 * Replaces the stored event's data with the server copy's: its identifiers join the person
 * (the server often knows the email the browser lacked), the credits keep their shares with
 * the new value, the rollups move the value (the conversion is still counted once, in the
 * minute it first arrived), and each destination that already sent the browser's copy gets
 * the event again with the same dedup id; waiting deliveries simply send the current row.
 */
export async function supersede(
  tx: CommitTx,
  item: CommitItem,
  ref: string,
  stored: StoredCopy,
  ctx: CommitContext,
): Promise<SupersededEvent> {
  const ev = item.event;
  const ws = ev.workspaceId;
  const isTest = ev.testEventCode !== null;
  const identifiers = [...stored.identifiers];
  const seen = new Set(identifiers.map((i) => `${i.kind}:${i.value}`));
  for (const i of ev.identifiers) if (!seen.has(`${i.kind}:${i.value}`)) identifiers.push(i);
  if (!isTest) await tx.linkIdentifiers(ws, identifiers);
  const attribution = await tx.supersedeEvent(ref, ev, identifiers, ev.receivedAt);
  if (item.windows) {
    await tx.redeliver(ws, ref, ev.receivedAt);
    if (!isTest) {
      const delta =
        rollupValue(ev.value, ev.currency, ws, ctx) - rollupValue(stored.value, stored.currency, ws, ctx);
      if (delta !== 0) ctx.rollups.add(ws, stored.receivedAt, { value: delta });
    }
  }
  return {
    eventName: ev.eventName,
    eventTime: stored.eventTime,
    receivedAt: stored.receivedAt,
    eventId: stored.eventId,
    value: ev.value,
    currency: ev.currency,
    previousValue: stored.value,
    previousCurrency: stored.currency,
    attribution,
  };
}
