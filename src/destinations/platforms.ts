/** The adapter of each destination type. */
import type { DestinationConfig, DestinationType } from "./config-schema.js";
import { googleAdsAdapter } from "./google-ads/google-adapter.js";
import { linkedInAdapter } from "./linkedin/linkedin-adapter.js";
import { metaAdapter } from "./meta/meta-adapter.js";
import { tiktokAdapter } from "./tiktok/tiktok-adapter.js";
import type { PlatformAdapter } from "./types.js";
import { webhookAdapter } from "./webhook/webhook-adapter.js";

const ADAPTERS = {
  meta: metaAdapter,
  google_ads: googleAdsAdapter,
  linkedin: linkedInAdapter,
  tiktok: tiktokAdapter,
  webhook: webhookAdapter,
} as const;

/**
 * The adapter for a config, typed loosely: the worker hands an adapter only the config it
 * was looked up for, which the per-type generics cannot express.
 */
export function adapterFor(type: DestinationType): PlatformAdapter<DestinationConfig, unknown> {
  return ADAPTERS[type];
}
