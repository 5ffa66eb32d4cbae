/**
 * The one way a touch is recorded, whatever brought it: a tracking link's click (`/c/{id}`),
 * an import (`/v1/clicks`, `/v1/impressions`) or a PageView with a click id (inside its
 * event's commit, `steps/identify.ts`). A touch is kept once per touch_id and once per click
 * id, and counted in the rollups only when new.
 */
import type { TouchInput } from "../domain/event.js";
import type { RollupAccumulator } from "../monitoring/rollups.js";
import { clickQuality } from "../quality/input.js";
import type { CommitContext, CommitTx, TouchOutcome } from "./tx.js";

export async function recordTouch(
  tx: CommitTx,
  workspaceId: string,
  touch: TouchInput,
  person: string | null,
  receivedAt: number,
  rollups: RollupAccumulator,
): Promise<TouchOutcome> {
  const out = await tx.insertTouch(workspaceId, touch, person, receivedAt);
  if (out.status !== "accepted") return out; // a click already recorded is judged (and counted) once
  if (touch.kind !== "click") {
    rollups.add(workspaceId, receivedAt, { impressions: 1 });
    return out;
  }
  // A click Tally saw itself (a link, a landing PageView) is judged; imports carry no address.
  if (!touch.quality) {
    rollups.add(workspaceId, receivedAt, { clicks: 1 });
    return out;
  }
  const q = await clickQuality(tx, workspaceId, touch.quality, receivedAt);
  if (q.flags.length > 0) await tx.flagTouch(workspaceId, out.id, q, touch.quality.addressKey);
  rollups.add(workspaceId, receivedAt, q.flags.length > 0 ? { clicks: 1, flagged_clicks: 1 } : { clicks: 1 });
  return { ...out, quality: q };
}

/** Touches on their own (links, imports): each links its identifiers, then is recorded. */
export async function commitTouches(
  tx: CommitTx,
  workspaceId: string,
  touches: TouchInput[],
  receivedAt: number,
  ctx: Pick<CommitContext, "rollups">,
): Promise<TouchOutcome[]> {
  const out: TouchOutcome[] = [];
  for (const touch of touches) {
    const { person } = await tx.linkIdentifiers(workspaceId, touch.identifiers);
    out.push(await recordTouch(tx, workspaceId, touch, person, receivedAt, ctx.rollups));
  }
  return out;
}
