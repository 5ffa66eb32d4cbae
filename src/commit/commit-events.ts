/**
 * The commit of an ingest batch, event by event: dedup → identify → assign → attribute →
 * quality → persist, run
 * by a store's group commit inside ONE transaction (the store hands it a `CommitTx`). Both
 * backends run this same code, so they count, link and attribute identically.
 *
 * Ordering constraints:
 * - dedup first: a duplicate must not link identities, record touches, be attributed or
 *   forwarded; and it keys on ids that normalize already cleaned. A server copy that
 *   duplicates a browser (or pixel) copy supersedes it inside the same decision.
 * - assign after identify: an experiment exposure belongs to the person the event links to.
 * - identify before attribute: a conversion's touches are those of every identifier linked
 *   to it, including the links this very event brings; the event's own touch (a PageView
 *   with a click id) is recorded there too, so a conversion later in the batch sees it.
 * - quality after attribute, before persist: `too_fast` needs the last attributed click and
 *   `conversion_burst` the person identify found; persist stores the decision, and under
 *   `flagged_conversions: "exclude"` routes no outbox row for a flagged conversion.
 * - persist last: the event, its credits and its outbox rows (routed from the destinations
 *   the transaction reads) go in together.
 * - everything in one transaction, so a crash leaves either all of an event or none of it.
 */
import type { CommitOutcome } from "../domain/event.js";
import { assign } from "./steps/assign.js";
import { attribute } from "./steps/attribute.js";
import { dedup } from "./steps/dedup.js";
import { identify } from "./steps/identify.js";
import { persist } from "./steps/persist.js";
import { quality } from "./steps/quality.js";
import type { CommitContext, CommitItem, CommitTx } from "./tx.js";

export async function commitEvents(
  tx: CommitTx,
  items: CommitItem[],
  ctx: CommitContext,
): Promise<CommitOutcome[]> {
  const outcomes: CommitOutcome[] = [];
  for (const item of items) {
    const seen = await dedup(tx, item, ctx);
    if (seen.status === "duplicate") {
      outcomes.push(seen.outcome);
      continue;
    }
    const { person, refused } = await identify(tx, item, ctx);
    await assign(tx, item, person);
    const credits = await attribute(tx, item, person);
    await quality(tx, item, person, credits);
    const outcome = await persist(tx, item, credits, person, ctx);
    if (refused > 0) outcome.linksRefused = refused;
    outcomes.push(outcome);
  }
  return outcomes;
}
