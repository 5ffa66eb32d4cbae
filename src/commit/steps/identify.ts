/**
 * identify: links the event's identifiers into one person (union by size, in the tx, within
 * the merge limits, which say how many they kept apart) and records the touch the event
 * brings (a PageView with a click id), so a conversion later in the same batch already sees
 * it. A new click is judged there (quality/), and the PageView carries its decision. An event
 * with an identifier the limits kept apart counts in the identity_conflicts series. Test
 * events never touch the identity graph.
 */
import { IDENTITY_CONFLICTS_KEY } from "../../monitoring/series.js";
import { recordTouch } from "../touches.js";
import type { CommitContext, CommitItem, CommitTx, Linked } from "../tx.js";

export async function identify(tx: CommitTx, item: CommitItem, ctx: CommitContext): Promise<Linked> {
  const ev = item.event;
  if (ev.testEventCode !== null) return { person: null, refused: 0 };
  const linked = await tx.linkIdentifiers(ev.workspaceId, ev.identifiers);
  if (linked.refused > 0) ctx.rollups.count(ev.workspaceId, ev.receivedAt, [IDENTITY_CONFLICTS_KEY]);
  if (ev.touch) {
    const touch = await recordTouch(tx, ev.workspaceId, ev.touch, linked.person, ev.receivedAt, ctx.rollups);
    // The PageView stores and answers the decision of the click it recorded.
    if (touch.quality) ev.quality = touch.quality;
  }
  return linked;
}
