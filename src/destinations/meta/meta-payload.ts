/**
 * Meta Conversions API payloads (platform-apis.md §1): `POST {base}/{api_version}/{pixel_id}/events`
 * with `data` (≤ 1000 events), `event_time` in unix seconds, hashed `em`/`ph`/`external_id`,
 * plain IP, user agent and click cookies, and `test_event_code` at the top level.
 */
import { createHmac } from "node:crypto";
import { hashField, normalizeExternalId } from "@tally/protocol";
import { DAY_MS } from "../../domain/time.js";
import type { StoredEvent } from "../../storage/storage.js";
import type { MetaConfig } from "./meta-config.js";
import type { BuildContext, HttpRequest, PrepareContext, Prepared } from "../types.js";

export const META_BASE_URL = "https://graph.facebook.com";
/** Meta refuses a whole request when one of its events is older than this. */
export const META_MAX_AGE_MS = 7 * DAY_MS;
export const META_TOO_OLD = "event older than 7 days: Meta refuses it";
export const META_NO_CONSENT_WEBSITE =
  "no consent for user data: Meta requires client_user_agent for website events";

export interface MetaUserData {
  em?: string;
  ph?: string;
  external_id?: string;
  client_ip_address?: string;
  client_user_agent?: string;
  fbc?: string;
  fbp?: string;
}

export interface MetaEvent {
  event_name: string;
  event_time: number;
  action_source: string;
  event_id: string;
  event_source_url?: string;
  user_data: MetaUserData;
  custom_data?: Record<string, unknown>;
}

/** The Meta event name of a Tally event: the configured one, else the same (Tally's actions are Meta's standard names). */
export function metaEventName(eventName: string, config: Pick<MetaConfig, "event_map">): string {
  return config.event_map[eventName] ?? eventName;
}

function userData(ev: StoredEvent, ctx: PrepareContext): MetaUserData {
  if (!ctx.userData) return {};
  const u = ev.user;
  const out: MetaUserData = {};
  if (u.em) out.em = u.em;
  if (u.ph_digits) out.ph = u.ph_digits;
  const ext = u.external_id ? hashField(u.external_id, normalizeExternalId) : null;
  if (ext) out.external_id = ext;
  if (ctx.clientIp) out.client_ip_address = ctx.clientIp;
  if (u.client_user_agent) out.client_user_agent = u.client_user_agent;
  if (u.fbc) out.fbc = u.fbc;
  if (u.fbp) out.fbp = u.fbp;
  return out;
}

/**
 * One Tally event as a Meta server event, or the reason it cannot go: Meta refuses a whole
 * request for one event older than 7 days or a Purchase without value and currency, so such
 * an event is failed on its own instead of taking its batch down with it.
 *
 * @example
 * prepareMetaEvent(event, config, { now, userData: true, clientIp: "203.0.113.9", testEventCode: null, dedupId: "order-1001" });
 * // { ok: true, group: "", item: { event_name: "Purchase", event_time: 1764426811, event_id: "order-1001", … } }
 */
export function prepareMetaEvent(
  ev: StoredEvent,
  config: MetaConfig,
  ctx: PrepareContext,
): Prepared<MetaEvent> {
  if (ctx.now - ev.eventTime > META_MAX_AGE_MS) return { ok: false, error: META_TOO_OLD };
  const name = metaEventName(ev.eventName, config);
  if (name === "Purchase" && (ev.value === null || ev.currency === null))
    return { ok: false, error: "Meta requires custom_data.value and custom_data.currency for Purchase" };
  // Meta requires an action source; an event with a page or browser behind it is a website event.
  const actionSource =
    ev.actionSource ?? (ev.eventSourceUrl !== null || ev.user.client_user_agent ? "website" : "other");
  // Meta refuses website events without client_user_agent, which is user data: without
  // consent such an event cannot go (other sources go without user data).
  if (actionSource === "website" && !ctx.userData) return { ok: false, error: META_NO_CONSENT_WEBSITE };
  const user = userData(ev, ctx);
  const item: MetaEvent = {
    event_name: name,
    event_time: Math.floor(ev.eventTime / 1000),
    action_source: actionSource,
    event_id: ctx.dedupId,
    user_data: user,
  };
  if (ev.eventSourceUrl !== null) item.event_source_url = ev.eventSourceUrl;
  const custom: Record<string, unknown> = { ...ev.customData };
  if (ev.value !== null) custom.value = ev.value;
  if (ev.currency !== null) custom.currency = ev.currency;
  if (ev.orderId !== null) custom.order_id = ev.orderId;
  if (Object.keys(custom).length > 0) item.custom_data = custom;
  return { ok: true, item, group: ctx.testEventCode ?? "" };
}

/**
 * The request for up to 1000 prepared events of one group (`group` = the test event code, or
 * "" for real events). The token goes in the Authorization header, never in the URL.
 */
export function buildMetaRequest(
  items: MetaEvent[],
  config: MetaConfig,
  group: string,
  _ctx?: BuildContext,
): HttpRequest {
  const base = config.endpoint ?? META_BASE_URL;
  const body: Record<string, unknown> = { data: items };
  if (group !== "") body.test_event_code = group;
  if (config.app_secret)
    body.appsecret_proof = createHmac("sha256", config.app_secret).update(config.access_token).digest("hex");
  return {
    url: `${base}/${config.api_version}/${encodeURIComponent(config.pixel_id)}/events`,
    headers: { "content-type": "application/json", authorization: `Bearer ${config.access_token}` },
    body: JSON.stringify(body),
  };
}
