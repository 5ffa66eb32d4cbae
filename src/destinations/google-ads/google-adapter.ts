/** Google Ads click conversions: 2000 per request, `validateOnly` for test events. */
import type { GoogleAdsConfig } from "./google-ads-config.js";
import type { PlatformAdapter } from "../types.js";
import { classifyGoogleResponse } from "./google-classify.js";
import { authorizeGoogle } from "./google-oauth.js";
import { buildGoogleRequest, prepareGoogleConversion, type GoogleClickConversion } from "./google-payload.js";

export const googleAdsAdapter: PlatformAdapter<GoogleAdsConfig, GoogleClickConversion> = {
  type: "google_ads",
  batchLimit: 2000,
  parallel: 3,
  testMode: true,
  usesClientIp: false,
  prepare: prepareGoogleConversion,
  build: buildGoogleRequest,
  classify: (res, count) => classifyGoogleResponse(res, count),
  authorize: authorizeGoogle,
};
