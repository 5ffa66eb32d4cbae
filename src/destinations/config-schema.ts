/**
 * Destination configs: the registry of the five platforms' settings, each owned by its
 * folder (`<platform>/<platform>-config.ts`). A config is checked when a destination is
 * created (an answer naming the field instead of a delivery failing hours later) and again
 * when a sealed config is loaded. Secrets are kept in the sealed JSON only; `publicConfig` is
 * what the API may show.
 */
import { COMMON_FIELDS, ConfigProblem, type ConfigSpec } from "./config-fields.js";
import { googleAdsConfig, type GoogleAdsConfig } from "./google-ads/google-ads-config.js";
import { linkedInConfig, type LinkedInConfig } from "./linkedin/linkedin-config.js";
import { metaConfig, type MetaConfig } from "./meta/meta-config.js";
import { tiktokConfig, type TikTokConfig } from "./tiktok/tiktok-config.js";
import { webhookConfig, type WebhookConfig } from "./webhook/webhook-config.js";

export type { CommonConfig } from "./config-fields.js";
export type { GoogleAdsConfig, LinkedInConfig, MetaConfig, TikTokConfig, WebhookConfig };

export const DESTINATION_TYPES = ["meta", "google_ads", "linkedin", "tiktok", "webhook"] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export type DestinationConfig = MetaConfig | GoogleAdsConfig | LinkedInConfig | TikTokConfig | WebhookConfig;

export type ConfigResult =
  { ok: true; config: DestinationConfig } | { ok: false; field: string; message: string };

const SPECS: { [T in DestinationType]: ConfigSpec<Extract<DestinationConfig, { type: T }>> } = {
  meta: metaConfig,
  google_ads: googleAdsConfig,
  linkedin: linkedInConfig,
  tiktok: tiktokConfig,
  webhook: webhookConfig,
};

/**
 * The spec of a type, typed loosely (its methods take any config): it is only ever handed
 * configs of its own type, which the per-type generics cannot express.
 */
function specOf(type: DestinationType): ConfigSpec<DestinationConfig> {
  return SPECS[type];
}

export function isDestinationType(t: unknown): t is DestinationType {
  return typeof t === "string" && (DESTINATION_TYPES as readonly string[]).includes(t);
}

/**
 * Checks a config of `type`, fills defaults, and names the first wrong field (`config.<key>`).
 *
 * @example
 * parseConfig("meta", { pixel_id: "123", access_token: "EAAB…" });
 * // { ok: true, config: { type: "meta", api_version: "v24.0", max_attempts: 20, … } }
 * parseConfig("meta", { pixel_id: "123" });
 * // { ok: false, field: "config.access_token", message: "`config.access_token` is required." }
 */
export function parseConfig(type: DestinationType, raw: unknown): ConfigResult {
  if (raw === undefined || raw === null || typeof raw !== "object" || Array.isArray(raw))
    return {
      ok: false,
      field: "config",
      message: "`config` must be an object with the destination's settings.",
    };
  const spec = specOf(type);
  const obj = raw as Record<string, unknown>;
  const settings = [...COMMON_FIELDS, ...spec.fields];
  const allowed = new Set([...settings, "type"]);
  for (const k of Object.keys(obj))
    if (!allowed.has(k))
      return {
        ok: false,
        field: `config.${k}`,
        message: `\`config.${k}\` is not a ${type} setting; settings are ${settings.join(", ")}.`,
      };
  try {
    return { ok: true, config: spec.parse(obj) };
  } catch (err) {
    if (err instanceof ConfigProblem)
      return { ok: false, field: `config.${err.field}`, message: err.message };
    throw err;
  }
}

/** The config without its secrets (and without what else a platform hides, e.g. a webhook URL's query). */
export function publicConfig(config: DestinationConfig): Record<string, unknown> {
  const spec = specOf(config.type);
  const secret = new Set(spec.secrets);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === "type" || secret.has(k) || v === null) continue;
    out[k] = spec.shown ? spec.shown(k, v) : v;
  }
  return out;
}

/**
 * The URLs of a config that Tally will connect to, by field: each must pass the endpoint
 * policy (endpoint-policy.ts).
 */
export function urlFields(config: DestinationConfig): [field: string, url: string][] {
  const own = specOf(config.type).urls(config);
  return config.endpoint === null ? own : [["endpoint", config.endpoint], ...own];
}

/** Event-name maps of a config by field: their keys must be conversion actions of the workspace. */
export function eventMaps(config: DestinationConfig): [field: string, map: Record<string, string>][] {
  return specOf(config.type).eventMaps(config);
}

/** Event names a destination can send at all: Google and LinkedIn only those they have an action for. */
export function mappedEvents(config: DestinationConfig): string[] | null {
  return specOf(config.type).mappedEvents(config);
}
