/**
 * Signed webhooks: one POST per event, the event as JSON (the shape is documented in
 * docs/destinations.md and is the `WebhookEvent` below), `Tally-Signature` over the exact
 * body, and `Idempotency-Key` = the dedup id so a receiver can drop a re-sent event.
 */
import { CLICK_ID_KINDS } from "../../domain/event.js";
import { isoTime } from "../../domain/time.js";
import type { Consent } from "../../domain/event.js";
import type { StoredEvent } from "../../storage/storage.js";
import type { AdjustmentPayload } from "../../storage/reconciliation-store.js";
import type { WebhookConfig } from "./webhook-config.js";
import type { BuildContext, HttpRequest, PrepareContext, Prepared } from "../types.js";
import { signWebhook } from "./webhook-signature.js";

export interface WebhookUserData {
  em?: string;
  em_google?: string;
  ph?: string;
  ph_digits?: string;
  external_id?: string;
  anonymous_id?: string;
  client_ip_address?: string;
  client_user_agent?: string;
  fbc?: string;
  fbp?: string;
  click_id?: string;
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  fbclid?: string;
  msclkid?: string;
  ttclid?: string;
  li_fat_id?: string;
}

export interface WebhookEvent {
  id: string;
  event_id: string;
  workspace_id: string;
  event_name: string;
  event_time: string;
  received_at: string;
  action_source: string | null;
  event_source_url: string | null;
  value: number | null;
  currency: string | null;
  order_id: string | null;
  custom_data: Record<string, unknown>;
  /** null without consent for user data. */
  user_data: WebhookUserData | null;
  consent: Consent | null;
}

const USER_KEYS = [
  "em",
  "em_google",
  "ph",
  "ph_digits",
  "external_id",
  "anonymous_id",
  "client_user_agent",
  "fbc",
  "fbp",
  ...CLICK_ID_KINDS,
] as const;

export function prepareWebhookEvent(
  ev: StoredEvent,
  _config: WebhookConfig,
  ctx: PrepareContext,
): Prepared<WebhookEvent> {
  let user: WebhookUserData | null = null;
  if (ctx.userData) {
    user = {};
    for (const k of USER_KEYS) if (ev.user[k]) user[k] = ev.user[k];
    if (ctx.clientIp) user.client_ip_address = ctx.clientIp;
  }
  const item: WebhookEvent = {
    id: ev.id,
    event_id: ctx.dedupId,
    workspace_id: ev.workspaceId,
    event_name: ev.eventName,
    event_time: isoTime(ev.eventTime),
    received_at: isoTime(ev.receivedAt),
    action_source: ev.actionSource,
    event_source_url: ev.eventSourceUrl,
    value: ev.value,
    currency: ev.currency,
    order_id: ev.orderId,
    custom_data: ev.customData,
    user_data: user,
    consent: ev.consent,
  };
  return { ok: true, item, group: "" };
}

/**
 * A rule's signal, for webhooks with `signals: true`: `{"type": "tally.signal", "data": signal}`,
 * `Idempotency-Key` = the signal's id.
 */
export interface WebhookSignal {
  type: "tally.signal";
  data: { id: string } & Record<string, unknown>;
}

/**
 * A conversion's retraction or restatement: `{"type": "conversion.adjusted", "data": {…}}`,
 * `Idempotency-Key` = the adjustment's id. No personal data: ids, values and times only.
 */
export interface WebhookAdjustment {
  type: "conversion.adjusted";
  data: {
    id: string;
    conversion_id: string;
    adjustment: "retract" | "restate";
    event_name: string;
    event_time: string;
    order_id: string | null;
    value: number | null;
    currency: string | null;
    previous_value: number | null;
    previous_currency: string | null;
    adjusted_at: string;
  };
}

export type WebhookItem = WebhookEvent | WebhookSignal | WebhookAdjustment;

function prepareWebhookAdjustment(payload: unknown): Prepared<WebhookItem> {
  const a = payload as AdjustmentPayload | null;
  if (!a || typeof a.id !== "string") return { ok: false, error: "the adjustment could not be read" };
  return {
    ok: true,
    item: {
      type: "conversion.adjusted",
      data: {
        id: a.id,
        conversion_id: a.conversion_id,
        adjustment: a.type,
        event_name: a.event_name,
        event_time: isoTime(a.event_time),
        order_id: a.order_id,
        value: a.value,
        currency: a.currency,
        previous_value: a.previous_value,
        previous_currency: a.previous_currency,
        adjusted_at: isoTime(a.adjusted_at),
      },
    },
    group: "",
  };
}

export function prepareWebhookPayload(
  kind: string,
  payload: unknown,
  config: WebhookConfig,
): Prepared<WebhookItem> {
  if (kind === "adjustment") return prepareWebhookAdjustment(payload);
  if (kind !== "signal") return { ok: false, error: `a webhook does not take ${kind}s` };
  if (!config.signals) return { ok: false, error: "the webhook's config no longer has `signals: true`" };
  const data = payload as WebhookSignal["data"] | null;
  if (!data || typeof data.id !== "string") return { ok: false, error: "the signal could not be read" };
  return { ok: true, item: { type: "tally.signal", data }, group: "" };
}

/** One event (or signal) per request: a receiver answers for exactly one. */
export function buildWebhookRequest(
  items: WebhookItem[],
  config: WebhookConfig,
  _group: string,
  ctx: BuildContext,
): HttpRequest {
  const item = items[0];
  if (items.length !== 1 || item === undefined)
    throw new Error("a webhook request carries exactly one event");
  const body = JSON.stringify(item);
  return {
    url: config.url,
    headers: {
      "content-type": "application/json",
      "user-agent": "Tally-Webhook/1",
      "tally-signature": signWebhook(config.secret, ctx.nowSeconds, body),
      "idempotency-key": "type" in item ? item.data.id : item.event_id,
    },
    body,
  };
}
