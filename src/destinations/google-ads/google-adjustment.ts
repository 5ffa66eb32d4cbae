/**
 * Google Ads conversion adjustments (platform-apis-decisions.md §A1):
 * `POST {base}/{api_version}/customers/{customer_id}:uploadConversionAdjustments` with
 * `partialFailure: true`, up to 2000 adjustments. A retraction is `RETRACTION`, a restatement
 * `RESTATEMENT` with `restatementValue {adjustedValue (the new total), currencyCode}`. The
 * conversion is named by the `orderId` Tally uploaded it with (its dedup id); a conversion
 * without one is named by `gclidDateTimePair`, only when its consent lets the click id go.
 * `adjustmentDateTime` is the adjustment's own time: a re-send is the same adjustment (Google
 * ignores a duplicate), and a later restatement is newer than the one before.
 */
import type { AdjustmentPayload } from "../../storage/reconciliation-store.js";
import type { GoogleAdsConfig } from "./google-ads-config.js";
import type { BuildContext, HttpRequest, PayloadContext, Prepared } from "../types.js";
import { GOOGLE_BASE_URL, googleDateTime } from "./google-payload.js";

/** The request group of adjustments (they go to their own endpoint). */
export const ADJUSTMENTS = "adjustments";

export interface GoogleConversionAdjustment {
  conversionAction: string;
  adjustmentType: "RETRACTION" | "RESTATEMENT";
  adjustmentDateTime: string;
  orderId?: string;
  gclidDateTimePair?: { gclid: string; conversionDateTime: string };
  restatementValue?: { adjustedValue: number; currencyCode?: string };
}

/**
 * @example
 * prepareGoogleAdjustment({ type: "retract", event_name: "Purchase", adjusted_at, … }, config, { dedupId: "ORD-1", … });
 * // { ok: true, group: "adjustments", item: { conversionAction: "customers/…/conversionActions/555",
 * //   adjustmentType: "RETRACTION", orderId: "ORD-1", adjustmentDateTime: "2026-03-05 10:00:00+00:00" } }
 */
export function prepareGoogleAdjustment(
  a: AdjustmentPayload,
  config: GoogleAdsConfig,
  ctx: PayloadContext,
): Prepared<GoogleConversionAdjustment> {
  const action = config.conversion_actions[a.event_name];
  if (action === undefined)
    return {
      ok: false,
      error: `no Google conversion action for ${a.event_name} in config.conversion_actions`,
    };
  const item: GoogleConversionAdjustment = {
    conversionAction: action,
    adjustmentType: a.type === "retract" ? "RETRACTION" : "RESTATEMENT",
    adjustmentDateTime: googleDateTime(a.adjusted_at),
  };
  if (ctx.dedupId !== null) item.orderId = ctx.dedupId;
  else if (ctx.event?.user.gclid && ctx.userData)
    item.gclidDateTimePair = {
      gclid: ctx.event.user.gclid,
      conversionDateTime: googleDateTime(a.event_time),
    };
  else
    return {
      ok: false,
      error: "the conversion can be named neither by its order id nor (with consent) by its gclid",
    };
  if (a.type === "restate") {
    if (a.value === null) return { ok: false, error: "a restatement without a value" };
    item.restatementValue = { adjustedValue: a.value, ...(a.currency ? { currencyCode: a.currency } : {}) };
  }
  return { ok: true, item, group: ADJUSTMENTS };
}

export function buildGoogleAdjustmentRequest(
  items: GoogleConversionAdjustment[],
  config: GoogleAdsConfig,
  ctx: BuildContext,
): HttpRequest {
  const base = config.endpoint ?? GOOGLE_BASE_URL;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${ctx.accessToken ?? config.access_token ?? ""}`,
    "developer-token": config.developer_token,
  };
  if (config.login_customer_id) headers["login-customer-id"] = config.login_customer_id;
  return {
    url: `${base}/${config.api_version}/customers/${config.customer_id}:uploadConversionAdjustments`,
    headers,
    body: JSON.stringify({ conversionAdjustments: items, partialFailure: true }),
  };
}
