/** The five attribution models: how one conversion's credit is shared among its touches. */

import { compareTouches, DAY_MS, isInTouchOrder } from "./eligible-touches.js";
import type { Credit, ModelName, Touch } from "./types.js";

/** time_decay halves a touch's weight for every 7 days of age. */
export const TIME_DECAY_HALF_LIFE_MS = 7 * DAY_MS;

/** position_based with three or more touches: the first and the last touch each get 40%... */
const POSITION_END_SHARE = 0.4;
/** ...and the middle ones share 20% (a literal: 1 - 2 * 0.4 is 0.19999999999999996). */
const POSITION_MIDDLE_SHARE = 0.2;

/**
 * Shares one conversion among `eligible` touches (as returned by `eligibleTouches`) by `model`.
 * Only touches that receive credit are returned, in (time, seq) order. No eligible touches
 * give `[]` (unattributed).
 *
 * No drift: every touch but the last gets its computed share and the last gets the remainder,
 * `1 - sum(others)`. Summed in order, as a report does, the credits then give exactly 1
 * (g + fl(1 − g) rounds back to 1 for any g in [0, 1]), never 0.9999999999999999.
 *
 * `eligible` need not be sorted; an unsorted input is sorted on a copy first.
 *
 * @example
 * applyModel("linear", eligible, conversionTime); // [{touch, credit: 0.5}, {touch, credit: 0.5}]
 */
export function applyModel(model: ModelName, eligible: readonly Touch[], conversionTime: number): Credit[] {
  const ordered = isInTouchOrder(eligible) ? eligible : [...eligible].sort(compareTouches);
  return creditsInOrder(model, ordered, conversionTime);
}

/** {@link applyModel} for touches already known to be in (time, seq) order. */
export function creditsInOrder(
  model: ModelName,
  ordered: readonly Touch[],
  conversionTime: number,
): Credit[] {
  const n = ordered.length;
  const first = ordered[0];
  const last = ordered[n - 1];
  if (first === undefined || last === undefined) return [];
  if (n === 1) return [{ touch: first, credit: 1 }];
  switch (model) {
    case "last_click":
      return [{ touch: last, credit: 1 }];
    case "first_click":
      return [{ touch: first, credit: 1 }];
    case "linear":
      return share(ordered, () => 1 / n);
    case "position_based":
      if (n === 2) return share(ordered, () => 0.5);
      return share(ordered, (i) => (i === 0 ? POSITION_END_SHARE : POSITION_MIDDLE_SHARE / (n - 2)));
    case "time_decay":
      return timeDecay(ordered, last, conversionTime);
  }
}

/**
 * weight = 2^(−age / 7 days), normalized. Ages are taken relative to the newest touch's age:
 * that multiplies every weight by the same constant, which normalization cancels, and it keeps
 * the newest weight at 1 so old touches (or a far-off conversion time) cannot underflow every
 * weight to 0 and divide by zero.
 */
function timeDecay(ordered: readonly Touch[], newest: Touch, conversionTime: number): Credit[] {
  const reference = Number.isFinite(conversionTime) ? conversionTime : newest.time;
  const newestAge = reference - newest.time;
  const weights = new Array<number>(ordered.length);
  let total = 0;
  for (let i = 0; i < ordered.length; i++) {
    const age = reference - (ordered[i] as Touch).time;
    const w = 2 ** (-(age - newestAge) / TIME_DECAY_HALF_LIFE_MS);
    weights[i] = w;
    total += w;
  }
  return share(ordered, (i) => (weights[i] as number) / total);
}

/** Gives each touch but the last `shareOf(i)`, and the last one the remainder to 1. */
function share(ordered: readonly Touch[], shareOf: (index: number) => number): Credit[] {
  const last = ordered.length - 1;
  const credits = new Array<Credit>(ordered.length);
  let given = 0;
  for (let i = 0; i < last; i++) {
    const credit = shareOf(i);
    given += credit;
    credits[i] = { touch: ordered[i] as Touch, credit };
  }
  credits[last] = { touch: ordered[last] as Touch, credit: 1 - given };
  return credits;
}
