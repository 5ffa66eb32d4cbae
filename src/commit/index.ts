/**
 * The commit core: what happens to an event (or a touch) inside the store's transaction, as
 * small steps over the `CommitTx` seam (tx.ts) — dedup (or supersede), identify, attribute,
 * persist — composed in commit-events.ts; touches.ts records touches; reattribute.ts
 * recomputes credits. No I/O of its own: a backend hands it a transaction, and the wiring
 * (main.ts, open-store.ts) hands the backend this core.
 */
import { commitEvents } from "./commit-events.js";
import { dedupKeys } from "./dedup-keys.js";
import { reattribute } from "./reattribute.js";
import { commitTouches } from "./touches.js";
import type { CommitCore } from "./tx.js";

export const commitCore: CommitCore = { dedupKeys, commitEvents, commitTouches, reattribute };

export {
  ATTRIBUTION_TOUCH_LIMIT,
  creditRowsOf,
  emptyCredits,
  isAttributed,
  lookbackStart,
} from "./credits.js";
export { commitEvents, commitTouches, dedupKeys, reattribute };
export { supersedes } from "./steps/supersede.js";
export type * from "./tx.js";
