import type { CommitContext } from "../tx.js";

/** What a conversion adds to the rollups' value: only values in the workspace currency. */
export function rollupValue(
  value: number | null,
  currency: string | null,
  workspaceId: string,
  ctx: Pick<CommitContext, "currencyOf">,
): number {
  return value !== null && (currency === null || currency === ctx.currencyOf(workspaceId)) ? value : 0;
}
