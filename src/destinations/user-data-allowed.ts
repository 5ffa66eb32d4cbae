/**
 * The consent rule of API.md: user data (hashed identifiers, IP, user agent, click cookies)
 * goes to a platform only when the event's `consent.ad_user_data` is `granted`, or when the
 * event says nothing about it and the workspace's `consent_default` is `granted`.
 */
import type { Consent } from "../domain/event.js";
import type { ConsentDefault } from "../domain/workspace.js";

/**
 * An event "carries no consent" for this purpose when it has no `ad_user_data` signal: a
 * consent object with only `analytics` says nothing about advertising, so the workspace
 * default decides. An explicit `denied` always wins over the default.
 *
 * @example
 * userDataAllowed({ ad_user_data: "granted" }, "denied"); // true
 * userDataAllowed({ ad_user_data: "denied" }, "granted"); // false
 * userDataAllowed(null, "granted");                        // true
 */
export function userDataAllowed(consent: Consent | null, consentDefault: ConsentDefault): boolean {
  const signal = consent?.ad_user_data;
  if (signal !== undefined) return signal === "granted";
  return consentDefault === "granted";
}
