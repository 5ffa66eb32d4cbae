/**
 * How the writer thread picks its next group from the operations queued for it: in order, up
 * to the group weight, except that background work — the outbox's claims and settlements, the
 * purge's slices — waits while anything else is queued. A backlog's drain claims and settles a
 * thousand rows or more per operation (each some 10–30 ms of the writer), a purge slice deletes
 * thousands; in the group of a request's commit they would hold its answer that long. Only they
 * move, only behind operations queued with them, and their order among themselves is kept: a
 * claim that comes after a commit queued with it sees the commit's rows, which is what a claim
 * made a moment later would see anyway.
 */
import type { OpMessage } from "./group-committer.js";

/** Operations of the outbox's drain and the purge's slices, which wait behind the requests'. */
const BACKGROUND = new Set(["claimDeliveries", "completeDeliveries", "purge"]);

/**
 * Splits `queue` into the next group and what stays queued (in order). A group always takes at
 * least one operation, however heavy. `deferred` says the group left claims or settlements
 * behind; the writer then forms the next group in plain order (`mayDefer` false), so they wait
 * for one group at most, however many requests keep coming (a settlement must land within its
 * lease).
 *
 * @example
 * nextGroup([claim, commit, settle, commit2], 100); // { group: [commit, commit2], rest: [claim, settle], deferred: true }
 */
export function nextGroup(
  queue: OpMessage[],
  maxWeight: number,
  mayDefer = true,
): { group: OpMessage[]; rest: OpMessage[]; deferred: boolean } {
  const requests = mayDefer && queue.some((m) => !BACKGROUND.has(m.op));
  let deferred = false;
  const group: OpMessage[] = [];
  const rest: OpMessage[] = [];
  let weight = 0;
  let full = false;
  for (const m of queue) {
    if (requests && BACKGROUND.has(m.op)) {
      rest.push(m);
      deferred = true;
    } else if (!full && (group.length === 0 || weight + m.weight <= maxWeight)) {
      group.push(m);
      weight += m.weight;
    } else {
      // Once one does not fit, none after it joins: the order stays as queued.
      full = true;
      rest.push(m);
    }
  }
  return { group, rest, deferred };
}
