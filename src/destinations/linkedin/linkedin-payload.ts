/**
 * LinkedIn Conversions API (platform-apis.md §3): `POST {base}/rest/conversionEvents` as a
 * Rest.li BATCH_CREATE of up to 5000 elements, `conversionHappenedAt` in epoch milliseconds
 * (at most 90 days old), the amount as a string, the SHA-256 of the email and the `li_fat_id`
 * cookie as `userIds`. LinkedIn matches on user data only, so without consent the event is
 * not sent at all; it has no test mode, so test events never reach it.
 */
import { sha256Hex } from "@tally/protocol";
import { DAY_MS } from "../../domain/time.js";
import type { StoredEvent } from "../../storage/storage.js";
import type { LinkedInConfig } from "./linkedin-config.js";
import type { BuildContext, HttpRequest, PrepareContext, Prepared } from "../types.js";

export const LINKEDIN_BASE_URL = "https://api.linkedin.com";
export const LINKEDIN_MAX_AGE_MS = 90 * DAY_MS;
/** LinkedIn takes event ids of up to 64 characters. */
const MAX_EVENT_ID = 64;

/** The dedup id as LinkedIn takes it: a longer one is replaced by its SHA-256 (64 hex, the same on every attempt). */
export function linkedInEventId(dedupId: string): string {
  return dedupId.length <= MAX_EVENT_ID ? dedupId : sha256Hex(dedupId);
}

export interface LinkedInUserId {
  idType: "SHA256_EMAIL" | "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID";
  idValue: string;
}

export interface LinkedInConversionEvent {
  conversion: string;
  conversionHappenedAt: number;
  conversionValue?: { currencyCode: string; amount: string };
  eventId: string;
  user: { userIds: LinkedInUserId[]; externalIds?: string[] };
}

export function prepareLinkedInEvent(
  ev: StoredEvent,
  config: LinkedInConfig,
  ctx: PrepareContext,
): Prepared<LinkedInConversionEvent> {
  const conversion = config.conversions[ev.eventName];
  if (conversion === undefined)
    return { ok: false, error: `no LinkedIn conversion rule for ${ev.eventName} in config.conversions` };
  if (!ctx.userData)
    return { ok: false, error: "no consent for user data: LinkedIn matches conversions on user data only" };
  if (ctx.now - ev.eventTime > LINKEDIN_MAX_AGE_MS)
    return { ok: false, error: "event older than 90 days: LinkedIn refuses it" };
  const u = ev.user;
  const userIds: LinkedInUserId[] = [];
  if (u.em) userIds.push({ idType: "SHA256_EMAIL", idValue: u.em });
  if (u.li_fat_id) userIds.push({ idType: "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", idValue: u.li_fat_id });
  const user: LinkedInConversionEvent["user"] = { userIds };
  // LinkedIn takes the CRM id in plain text and uses at most one.
  if (u.external_id) user.externalIds = [u.external_id];
  if (userIds.length === 0 && !user.externalIds)
    return { ok: false, error: "nothing LinkedIn can match: no email, li_fat_id or external_id" };
  const item: LinkedInConversionEvent = {
    conversion,
    conversionHappenedAt: ev.eventTime,
    eventId: linkedInEventId(ctx.dedupId),
    user,
  };
  if (ev.value !== null && ev.currency !== null)
    item.conversionValue = { currencyCode: ev.currency, amount: String(ev.value) };
  return { ok: true, item, group: "" };
}

export function buildLinkedInRequest(
  items: LinkedInConversionEvent[],
  config: LinkedInConfig,
  _group: string,
  _ctx?: BuildContext,
): HttpRequest {
  const base = config.endpoint ?? LINKEDIN_BASE_URL;
  return {
    url: `${base}/rest/conversionEvents`,
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${config.access_token}`,
      "linkedin-version": config.version,
      "x-restli-protocol-version": "2.0.0",
      "x-restli-method": "BATCH_CREATE",
    },
    body: JSON.stringify({ elements: items }),
  };
}
