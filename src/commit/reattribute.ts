/**
 * Recomputes the stored credits of conversions with event_time in [from, to) from the touches
 * known now (`tally reattribute`, after late imports or changed windows). One algorithm for
 * both backends; each gives it a `ReattributeTx` over one transaction.
 */
import { ATTRIBUTION_TOUCH_LIMIT, creditRowsOf, emptyCredits, lookbackStart } from "./credits.js";
import type { ReattributeTx, WindowsByWorkspace } from "./tx.js";

/** Returns how many conversions the range held (those without windows or erased kept as they were). */
export async function reattribute(
  tx: ReattributeTx,
  workspaceId: string | null,
  from: number,
  to: number,
  windows: WindowsByWorkspace,
): Promise<number> {
  const conversions = await tx.conversionsIn(workspaceId, from, to);
  for (const c of conversions) {
    const w = windows[c.workspaceId]?.[c.eventName];
    // An erased person's conversion keeps the credit it had: its links are gone on purpose.
    if (!w || c.erased) continue;
    const person = await tx.personOf(c.workspaceId, c.identifiers);
    const credits =
      person === null
        ? emptyCredits()
        : creditRowsOf(
            await tx.touchesOf(
              c.workspaceId,
              person,
              lookbackStart(c.eventTime, w),
              c.eventTime,
              ATTRIBUTION_TOUCH_LIMIT,
            ),
            c.eventTime,
            w,
          );
    await tx.replaceCredits(c, credits);
  }
  return conversions.length;
}
