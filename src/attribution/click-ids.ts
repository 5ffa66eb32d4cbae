/** Click-id query parameters and the ad platform each one belongs to. */

// The click ids a landing URL or an event's `user_data` may carry live with the event types.
export { CLICK_ID_KINDS, type ClickIdKind } from "../domain/event.js";

// A Map, not an object literal, so "constructor" or "__proto__" can never look like a kind.
const PLATFORM_BY_KIND: ReadonlyMap<string, string> = new Map([
  ["gclid", "google"],
  ["gbraid", "google"],
  ["wbraid", "google"],
  ["fbclid", "meta"],
  ["msclkid", "microsoft"],
  ["ttclid", "tiktok"],
  ["li_fat_id", "linkedin"],
]);

/**
 * The platform a click id names: gclid/gbraid/wbraid → google, fbclid → meta,
 * msclkid → microsoft, ttclid → tiktok, li_fat_id → linkedin. `null` for anything else,
 * including Tally's own `click_id`, whose platform is its link's (the caller looks it up).
 *
 * @example
 * platformForClickIdKind("gbraid"); // "google"
 */
export function platformForClickIdKind(kind: string): string | null {
  if (typeof kind !== "string") return null;
  return PLATFORM_BY_KIND.get(kind) ?? PLATFORM_BY_KIND.get(kind.toLowerCase()) ?? null;
}
