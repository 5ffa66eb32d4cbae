/** Every model for one conversion at once: what the store keeps per conversion. */

import { creditsInOrder } from "./apply-model.js";
import { eligibleTouches } from "./eligible-touches.js";
import type { Credit, ModelName, Touch, Windows } from "./types.js";

/**
 * Eligibility once, then all five models over the same eligible touches, so a report can switch
 * models without recomputing. Every model's array is empty when the conversion is unattributed
 * (no eligible touch); each array is its own, so callers may mutate one safely.
 *
 * @example
 * const credits = attributeAll(touches, conversionTime, { clickWindowDays: 30, viewWindowDays: 1 });
 * credits.last_click; // [{ touch, credit: 1 }] or []
 */
export function attributeAll(
  touches: readonly Touch[],
  conversionTime: number,
  windows: Windows,
): Record<ModelName, Credit[]> {
  const eligible = eligibleTouches(touches, conversionTime, windows);
  return {
    last_click: creditsInOrder("last_click", eligible, conversionTime),
    first_click: creditsInOrder("first_click", eligible, conversionTime),
    linear: creditsInOrder("linear", eligible, conversionTime),
    time_decay: creditsInOrder("time_decay", eligible, conversionTime),
    position_based: creditsInOrder("position_based", eligible, conversionTime),
  };
}
