/**
 * attribute: all five models' credits of a conversion, from its person's touches within the
 * action's windows. Null for what is not attributed at all (non-conversions, test events);
 * empty lists for a conversion no touch explains.
 */
import { ATTRIBUTION_TOUCH_LIMIT, creditRowsOf, emptyCredits, lookbackStart } from "../credits.js";
import type { CommitItem, CommitTx, Credits } from "../tx.js";

export async function attribute(
  tx: CommitTx,
  item: CommitItem,
  person: string | null,
): Promise<Credits | null> {
  const ev = item.event;
  if (!item.windows || ev.testEventCode !== null) return null;
  if (person === null) return emptyCredits();
  const touches = await tx.touchesOf(
    ev.workspaceId,
    person,
    lookbackStart(ev.eventTime, item.windows),
    ev.eventTime,
    ATTRIBUTION_TOUCH_LIMIT,
  );
  return creditRowsOf(touches, ev.eventTime, item.windows);
}
