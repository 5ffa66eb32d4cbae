// Landing-URL capture: the click ids and utm_* parameters a visitor arrived with, kept 90 days
// from their first sighting. Pure (no DOM, no storage) so it is unit-tested in Node.

/** URL parameters captured as click ids; `tally_click` is sent as `user_data.click_id`. */
export const CLICK_IDS = [
  "gclid",
  "gbraid",
  "wbraid",
  "fbclid",
  "msclkid",
  "ttclid",
  "li_fat_id",
  "tally_click",
];
export const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "utm_id"];
export const KEEP_MS = 90 * 864e5;

/** Parameter name → [value, first captured at (ms)]. Also holds the derived Meta `fbc`. */
export type Attribution = Record<string, [string, number]>;

/** Meta's click cookie format for an fbclid first seen at `ms`. */
export const fbc = (fbclid: string, ms: number): string => `fb.1.${ms}.${fbclid}`;

/** The click ids and utm_* present in a query string (`location.search`), stamped `now`. */
export function landing(search: string, now: number): Attribution {
  const q = new URLSearchParams(search);
  const out: Attribution = {};
  for (const k of CLICK_IDS.concat(UTM)) {
    const v = q.get(k);
    if (v) out[k] = [v.slice(0, 500), now];
  }
  return out;
}

/**
 * Merges a page's landing parameters into what is kept: entries older than 90 days go; a click
 * id seen again with the same value keeps its first capture time (so `fbc` keeps its original
 * timestamp, as Meta asks); new utm_* replace the whole previous utm_* set.
 */
export function capture(kept: Attribution, found: Attribution, now: number): Attribution {
  const freshUtm = UTM.some((k) => k in found);
  const next: Attribution = {};
  for (const [k, e] of Object.entries(kept)) {
    if (e[1] + KEEP_MS > now && !(freshUtm && k.startsWith("utm_"))) next[k] = e;
  }
  for (const [k, e] of Object.entries(found)) {
    const had = next[k];
    if (had && had[0] === e[0]) continue;
    next[k] = e;
    if (k === "fbclid") next.fbc = [fbc(e[0], e[1]), e[1]];
  }
  return next;
}

/** The `user_data` click-id fields of what is kept. */
export function clickIds(a: Attribution): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, e] of Object.entries(a))
    if (!k.startsWith("utm_")) out[k === "tally_click" ? "click_id" : k] = e[0];
  return out;
}

/** The utm_* fields (for `custom_data`) of an attribution. */
export function utm(a: Attribution): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, e] of Object.entries(a)) if (k.startsWith("utm_")) out[k] = e[0];
  return out;
}
