/** Credits as stored: all five models of a conversion, from its person's touches. */
import { attributeAll, MODELS, type Windows } from "../attribution/index.js";
import { DAY_MS } from "../domain/time.js";
import type { Credits, StoredTouch } from "./tx.js";

/** Most touches of one person read for one conversion (the most recent ones). */
export const ATTRIBUTION_TOUCH_LIMIT = 200;

/** The oldest touch time any of the action's windows can reach back to. */
export function lookbackStart(eventTime: number, windows: Windows): number {
  return eventTime - Math.max(windows.clickWindowDays, windows.viewWindowDays) * DAY_MS;
}

/** What ingest stores and what `reattribute` recomputes, from the person's touches. */
export function creditRowsOf(touches: readonly StoredTouch[], eventTime: number, windows: Windows): Credits {
  const out = emptyCredits();
  if (touches.length === 0) return out;
  const all = attributeAll(touches, eventTime, windows);
  for (const m of MODELS) {
    out[m] = all[m].map((c) => ({
      platform: c.touch.platform,
      campaign: c.touch.campaign,
      ad: c.touch.ad,
      time: c.touch.time,
      credit: c.credit,
    }));
  }
  return out;
}

export function emptyCredits(): Credits {
  return { last_click: [], first_click: [], linear: [], time_decay: [], position_based: [] };
}

/** Whether a conversion counts as attributed (reports' unattributed row, the `attributed` column). */
export function isAttributed(credits: Credits | null): boolean {
  return credits !== null && credits.last_click.length > 0;
}
