/** Which touches may take credit for a conversion: time, look-back windows, click over view. */

import type { Touch, Windows } from "./types.js";

export const DAY_MS = 86_400_000;

/**
 * The most eligible touches one conversion considers; older ones are dropped. It bounds the
 * work done inside the store's write transaction. The store should load at most this many
 * recent touches per conversion as well, so that what it loads and what counts agree.
 */
export const MAX_ELIGIBLE_TOUCHES = 200;

/** Time order; a tie goes to the touch that arrived first (lower `seq`). */
export function compareTouches(a: Touch, b: Touch): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  // A NaN seq compares equal to everything, so the stable sort keeps input order.
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/** True when `touches` is already in (time, seq) order: O(n), and the common case. */
export function isInTouchOrder(touches: readonly Touch[]): boolean {
  for (let i = 1; i < touches.length; i++) {
    if (compareTouches(touches[i - 1] as Touch, touches[i] as Touch) > 0) return false;
  }
  return true;
}

/**
 * A window in ms, or null when it is switched off. A window of 0 (or a negative or non-finite
 * one) counts nothing: users set `view_window_days: 0` to turn view-through off, and a
 * same-millisecond-only window would be a surprise. Rounded so a fractional day still has an
 * exact millisecond boundary.
 */
function windowMs(days: number): number | null {
  return Number.isFinite(days) && days > 0 ? Math.round(days * DAY_MS) : null;
}

/**
 * Touches eligible for a conversion at `conversionTime` (ms): time <= conversionTime, and no
 * older than the click window (clicks) or the view window (impressions); a touch exactly
 * `windowDays * 86_400_000` ms old is still eligible. If any click is eligible, impressions
 * are ignored. Touches with a non-finite time or an unknown kind never are.
 *
 * Returns a new array sorted by (time, seq), keeping at most the {@link MAX_ELIGIBLE_TOUCHES}
 * most recent.
 *
 * @example
 * const eligible = eligibleTouches(touches, Date.parse("2026-03-22T10:00:00Z"), {
 *   clickWindowDays: 30,
 *   viewWindowDays: 1,
 * });
 */
export function eligibleTouches(
  touches: readonly Touch[],
  conversionTime: number,
  windows: Windows,
): Touch[] {
  if (!Number.isFinite(conversionTime)) return [];
  const clickMs = windowMs(windows.clickWindowDays);
  const viewMs = windowMs(windows.viewWindowDays);
  const clicks: Touch[] = [];
  const impressions: Touch[] = [];
  for (const t of touches) {
    const age = conversionTime - t.time;
    // `!(age >= 0)` also drops NaN times; future touches have a negative age.
    if (!(age >= 0)) continue;
    if (t.kind === "click") {
      if (clickMs !== null && age <= clickMs) clicks.push(t);
    } else if (t.kind === "impression" && clicks.length === 0) {
      // Once a click is eligible impressions can no longer count, so stop collecting them.
      if (viewMs !== null && age <= viewMs) impressions.push(t);
    }
  }
  const chosen = clicks.length > 0 ? clicks : impressions;
  if (!isInTouchOrder(chosen)) chosen.sort(compareTouches);
  return chosen.length > MAX_ELIGIBLE_TOUCHES ? chosen.slice(chosen.length - MAX_ELIGIBLE_TOUCHES) : chosen;
}
