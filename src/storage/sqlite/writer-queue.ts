/**
 * How the writer thread picks its next group from the operations queued for it: in order, up
 * to the group weight, except that background work — the outbox's claims and settlements, the
 * purge's slices — waits while anything else is queued. A backlog's drain claims and settles a
 * thousand rows or more per operation (each some 10–30 ms of the writer), a purge slice deletes
 * thousands; in the group of a request's commit they would hold its answer that long. Only they
 * move, only behind operations queued with them, each at most once, and their order among
 * themselves is kept.
 *
 * What moving them changes: a claim that comes after a commit queued with it sees the commit's
 * rows (what a claim made a moment later would see anyway); a settlement queued in the same turn
 * as a destination's deletion or a replay of its dead deliveries now lands after it, as if it
 * had been sent a moment later (the settlement's `status = 'pending'` guard then leaves those
 * rows as the deletion or replay put them). No caller sends one of them and another write
 * without waiting for the first: the outbox worker awaits its claim and its settlement, the
 * purge each slice.
 */
import type { OpMessage } from "./group-committer.js";

/** Operations of the outbox's drain and the purge's slices, which wait behind the requests'. */
const BACKGROUND = new Set(["claimDeliveries", "completeDeliveries", "purge"]);

/** An operation in the writer's queue; `passedOver` once a group left it behind. */
export type Queued = OpMessage & { passedOver?: true };

/**
 * Splits `queue` into the next group and what stays queued (in order). A group always takes at
 * least one operation, however heavy. A background operation is left behind (and marked) only
 * while requests are queued and only if no group has left it behind before: it waits for one
 * group of requests at most, however many keep coming (a settlement must land within its lease).
 *
 * @example
 * nextGroup([claim, commit, settle, commit2], 5000); // { group: [commit, commit2], rest: [claim, settle] }
 */
export function nextGroup(queue: Queued[], maxWeight: number): { group: Queued[]; rest: Queued[] } {
  const requests = queue.some((m) => !BACKGROUND.has(m.op));
  const group: Queued[] = [];
  const rest: Queued[] = [];
  let weight = 0;
  let full = false;
  for (const m of queue) {
    if (requests && BACKGROUND.has(m.op) && !m.passedOver) {
      m.passedOver = true;
      rest.push(m);
    } else if (!full && (group.length === 0 || weight + m.weight <= maxWeight)) {
      group.push(m);
      weight += m.weight;
    } else {
      // Once one does not fit, none after it joins: the order stays as queued.
      full = true;
      rest.push(m);
    }
  }
  return { group, rest };
}
