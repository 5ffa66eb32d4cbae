/**
 * TikTok Events API 2.0 (platform-apis.md §4): `POST {base}/open_api/v1.3/event/track/` with
 * the `Access-Token` header, up to 1000 events, `event_time` in unix seconds, hashed email,
 * phone (E.164 with `+`) and external id, plain IP, user agent and `ttclid`. Tally's action
 * names are mapped to TikTok's standard events (Purchase → CompletePayment), over which the
 * destination's `event_map` wins.
 */
import { hashField, normalizeExternalId } from "@tally/protocol";
import type { StoredEvent } from "../../storage/storage.js";
import type { TikTokConfig } from "./tiktok-config.js";
import type { BuildContext, HttpRequest, PrepareContext, Prepared } from "../types.js";

export const TIKTOK_BASE_URL = "https://business-api.tiktok.com";

/** Tally action → TikTok standard event, where the names differ. */
export const TIKTOK_STANDARD_EVENTS: Readonly<Record<string, string>> = {
  Purchase: "CompletePayment",
  SubmitApplication: "SubmitForm",
};

/** custom_data keys TikTok knows as `properties`. */
const PROPERTY_KEYS = [
  "content_type",
  "contents",
  "content_id",
  "content_name",
  "content_category",
  "query",
  "description",
];

export interface TikTokUser {
  email?: string;
  phone?: string;
  external_id?: string;
  ttclid?: string;
  ip?: string;
  user_agent?: string;
}

export interface TikTokEvent {
  event: string;
  event_time: number;
  event_id: string;
  user?: TikTokUser;
  page?: { url: string };
  properties?: Record<string, unknown>;
}

export function tiktokEventName(eventName: string, config: Pick<TikTokConfig, "event_map">): string {
  return config.event_map[eventName] ?? TIKTOK_STANDARD_EVENTS[eventName] ?? eventName;
}

function userOf(ev: StoredEvent, ctx: PrepareContext): TikTokUser | undefined {
  if (!ctx.userData) return undefined;
  const u = ev.user;
  const out: TikTokUser = {};
  if (u.em) out.email = u.em;
  if (u.ph) out.phone = u.ph;
  const ext = u.external_id ? hashField(u.external_id, normalizeExternalId) : null;
  if (ext) out.external_id = ext;
  if (u.ttclid) out.ttclid = u.ttclid;
  if (ctx.clientIp) out.ip = ctx.clientIp;
  if (u.client_user_agent) out.user_agent = u.client_user_agent;
  return out;
}

/** Without consent for user data the event goes without `user` (counted, not matched). */
export function prepareTikTokEvent(
  ev: StoredEvent,
  config: TikTokConfig,
  ctx: PrepareContext,
): Prepared<TikTokEvent> {
  const item: TikTokEvent = {
    event: tiktokEventName(ev.eventName, config),
    event_time: Math.floor(ev.eventTime / 1000),
    event_id: ctx.dedupId,
  };
  const user = userOf(ev, ctx);
  if (user) item.user = user;
  if (ev.eventSourceUrl !== null) item.page = { url: ev.eventSourceUrl };
  const props: Record<string, unknown> = {};
  for (const k of PROPERTY_KEYS) if (ev.customData[k] !== undefined) props[k] = ev.customData[k];
  if (ev.value !== null) props.value = ev.value;
  if (ev.currency !== null) props.currency = ev.currency;
  if (ev.orderId !== null) props.order_id = ev.orderId;
  if (Object.keys(props).length > 0) item.properties = props;
  return { ok: true, item, group: ctx.testEventCode ?? "" };
}

export function buildTikTokRequest(
  items: TikTokEvent[],
  config: TikTokConfig,
  group: string,
  _ctx?: BuildContext,
): HttpRequest {
  const base = config.endpoint ?? TIKTOK_BASE_URL;
  const body: Record<string, unknown> = {
    event_source: "web",
    event_source_id: config.pixel_code,
    data: items,
  };
  if (group !== "") body.test_event_code = group;
  return {
    url: `${base}/open_api/v1.3/event/track/`,
    headers: { "content-type": "application/json", "access-token": config.access_token },
    body: JSON.stringify(body),
  };
}
