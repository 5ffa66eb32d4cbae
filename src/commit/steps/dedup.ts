/**
 * dedup: is this event new, or a later copy of one stored within the dedup window? A new event
 * claims its keys; a later copy claims them for the original (a copy that matches only this
 * one, say by its event_id, is a duplicate of the same order), is recorded as an arrival, and
 * may supersede the stored copy (supersede.ts).
 */
import type { CommitOutcome } from "../../domain/event.js";
import { dedupKeys } from "../dedup-keys.js";
import type { CommitContext, CommitItem, CommitTx } from "../tx.js";
import { supersede, supersedes } from "./supersede.js";

export type DedupDecision = { status: "new" } | { status: "duplicate"; outcome: CommitOutcome };

const NEW: DedupDecision = { status: "new" };

export async function dedup(tx: CommitTx, item: CommitItem, ctx: CommitContext): Promise<DedupDecision> {
  const ev = item.event;
  const ws = ev.workspaceId;
  const keys = dedupKeys(ev);
  if (keys.lookup.length === 0) return NEW;
  const since = ev.receivedAt - ctx.dedupWindowMs;
  const original = await tx.findDedup(ws, keys.lookup, since);
  if (original === null) {
    await tx.claimDedup(ws, keys.claim, ev.id, ev.receivedAt, since);
    return NEW;
  }
  await tx.claimDedup(ws, keys.claim, original, ev.receivedAt, since);
  const copy = item.source === "server" ? await tx.storedCopy(ws, original) : null;
  const superseded =
    copy !== null && supersedes(item.source, copy)
      ? await supersede(tx, item, original, copy, ctx)
      : undefined;
  await tx.recordArrival({
    workspaceId: ws,
    eventRef: original,
    source: item.source,
    receivedAt: ev.receivedAt,
    eventId: ev.eventId,
    status: superseded ? "superseding" : "duplicate",
  });
  if (ev.testEventCode === null) ctx.rollups.add(ws, ev.receivedAt, { duplicates: 1 });
  return {
    status: "duplicate",
    outcome: superseded
      ? { status: "duplicate", id: original, superseded }
      : { status: "duplicate", id: original },
  };
}
