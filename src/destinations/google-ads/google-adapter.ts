/**
 * Google Ads click conversions: 2000 per request, `validateOnly` for test events; conversion
 * adjustments (retractions, restatements) to their own endpoint, 2000 per request.
 */
import type { AdjustmentPayload } from "../../storage/reconciliation-store.js";
import type { GoogleAdsConfig } from "./google-ads-config.js";
import type { PlatformAdapter } from "../types.js";
import {
  ADJUSTMENTS,
  buildGoogleAdjustmentRequest,
  prepareGoogleAdjustment,
  type GoogleConversionAdjustment,
} from "./google-adjustment.js";
import { classifyGoogleResponse } from "./google-classify.js";
import { authorizeGoogle } from "./google-oauth.js";
import { buildGoogleRequest, prepareGoogleConversion, type GoogleClickConversion } from "./google-payload.js";

type GoogleItem = GoogleClickConversion | GoogleConversionAdjustment;

export const googleAdsAdapter: PlatformAdapter<GoogleAdsConfig, GoogleItem> = {
  type: "google_ads",
  batchLimit: 2000,
  parallel: 3,
  testMode: true,
  usesClientIp: false,
  prepare: prepareGoogleConversion,
  preparePayload: (kind, payload, config, ctx) =>
    kind === "adjustment" && ctx
      ? prepareGoogleAdjustment(payload as AdjustmentPayload, config, ctx)
      : { ok: false, error: `Google Ads does not take ${kind}s` },
  build: (items, config, group, ctx) =>
    group === ADJUSTMENTS
      ? buildGoogleAdjustmentRequest(items as GoogleConversionAdjustment[], config, ctx)
      : buildGoogleRequest(items as GoogleClickConversion[], config, group, ctx),
  classify: (res, count) => classifyGoogleResponse(res, count),
  authorize: authorizeGoogle,
};
