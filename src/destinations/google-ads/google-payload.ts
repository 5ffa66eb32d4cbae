/**
 * Google Ads click conversions (platform-apis.md §2):
 * `POST {base}/{api_version}/customers/{customer_id}:uploadClickConversions` with
 * `partialFailure: true` (one bad row never sinks the request), up to 2000 conversions,
 * `conversionDateTime` as `yyyy-mm-dd hh:mm:ss+00:00`, one click id per conversion, hashed
 * email (Google's gmail rule) and phone (E.164 with `+`) as `userIdentifiers`, and the
 * `consent.adUserData` signal. Test events are sent with `validateOnly: true`.
 */
import type { StoredEvent } from "../../storage/storage.js";
import type { GoogleAdsConfig } from "./google-ads-config.js";
import type { BuildContext, HttpRequest, PrepareContext, Prepared } from "../types.js";

export const GOOGLE_BASE_URL = "https://googleads.googleapis.com";
/** Group of test events: validated by Google, never recorded. */
export const VALIDATE_ONLY = "validate_only";

export interface GoogleUserIdentifier {
  hashedEmail?: string;
  hashedPhoneNumber?: string;
  userIdentifierSource: "FIRST_PARTY";
}

export interface GoogleClickConversion {
  conversionAction: string;
  conversionDateTime: string;
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  conversionValue?: number;
  currencyCode?: string;
  orderId: string;
  userIdentifiers?: GoogleUserIdentifier[];
  consent: { adUserData: "GRANTED" | "DENIED" };
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Google's date-time with a zone, always in UTC.
 *
 * @example
 * googleDateTime(Date.UTC(2026, 0, 2, 3, 4, 5)); // "2026-01-02 03:04:05+00:00"
 */
export function googleDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+00:00`;
}

/**
 * One Tally event as a click conversion. Without consent for user data it goes only when it
 * has a click id, with `adUserData: DENIED` and no identifiers; with neither a click id nor
 * (consented) email or phone there is nothing Google could match, so it is not sent.
 */
export function prepareGoogleConversion(
  ev: StoredEvent,
  config: GoogleAdsConfig,
  ctx: PrepareContext,
): Prepared<GoogleClickConversion> {
  const action = config.conversion_actions[ev.eventName];
  if (action === undefined)
    return {
      ok: false,
      error: `no Google conversion action for ${ev.eventName} in config.conversion_actions`,
    };
  const u = ev.user;
  const item: GoogleClickConversion = {
    conversionAction: action,
    conversionDateTime: googleDateTime(ev.eventTime),
    orderId: ctx.dedupId,
    consent: { adUserData: ctx.userData ? "GRANTED" : "DENIED" },
  };
  // Google takes one click id per conversion; gclid is the most precise.
  if (u.gclid) item.gclid = u.gclid;
  else if (u.gbraid) item.gbraid = u.gbraid;
  else if (u.wbraid) item.wbraid = u.wbraid;
  if (ctx.userData) {
    const ids: GoogleUserIdentifier[] = [];
    const email = u.em_google ?? u.em;
    if (email) ids.push({ hashedEmail: email, userIdentifierSource: "FIRST_PARTY" });
    if (u.ph) ids.push({ hashedPhoneNumber: u.ph, userIdentifierSource: "FIRST_PARTY" });
    if (ids.length > 0) item.userIdentifiers = ids;
  }
  const hasClick = item.gclid !== undefined || item.gbraid !== undefined || item.wbraid !== undefined;
  if (!hasClick && item.userIdentifiers === undefined) {
    return {
      ok: false,
      error: ctx.userData
        ? "nothing Google can match: no gclid, gbraid or wbraid, and no email or phone"
        : "no consent for user data and no gclid, gbraid or wbraid: Google cannot use it",
    };
  }
  if (ev.value !== null) {
    item.conversionValue = ev.value;
    if (ev.currency !== null) item.currencyCode = ev.currency;
  }
  return { ok: true, item, group: ctx.testEventCode === null ? "" : VALIDATE_ONLY };
}

export function buildGoogleRequest(
  items: GoogleClickConversion[],
  config: GoogleAdsConfig,
  group: string,
  ctx: BuildContext,
): HttpRequest {
  const base = config.endpoint ?? GOOGLE_BASE_URL;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${ctx.accessToken ?? config.access_token ?? ""}`,
    "developer-token": config.developer_token,
  };
  if (config.login_customer_id) headers["login-customer-id"] = config.login_customer_id;
  const body: Record<string, unknown> = { conversions: items, partialFailure: true };
  if (group === VALIDATE_ONLY) body.validateOnly = true;
  return {
    url: `${base}/${config.api_version}/customers/${config.customer_id}:uploadClickConversions`,
    headers,
    body: JSON.stringify(body),
  };
}
