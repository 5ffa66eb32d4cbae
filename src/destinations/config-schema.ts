/**
 * Destination configs: the fields of API.md per type, checked when a destination is created
 * (an answer naming the field instead of a delivery failing hours later) and again when a
 * sealed config is loaded. Secrets are kept in the sealed JSON only; `publicConfig` is what
 * the API may show.
 */

export const DESTINATION_TYPES = ["meta", "google_ads", "linkedin", "tiktok", "webhook"] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export interface CommonConfig {
  /** Base URL replacing the platform's (tests point it at a local fake). */
  endpoint: string | null;
  max_attempts: number;
  retry_base_ms: number;
  timeout_ms: number;
}

export interface MetaConfig extends CommonConfig {
  type: "meta";
  pixel_id: string;
  access_token: string;
  api_version: string;
  test_event_code: string | null;
  /** Tally event name → Meta event name (default: the same name). */
  event_map: Record<string, string>;
  /** Optional: sends `appsecret_proof` = HMAC-SHA256(app_secret, access_token). */
  app_secret: string | null;
}

export interface GoogleAdsConfig extends CommonConfig {
  type: "google_ads";
  customer_id: string;
  developer_token: string;
  access_token: string | null;
  client_id: string | null;
  client_secret: string | null;
  refresh_token: string | null;
  login_customer_id: string | null;
  /** Tally event name → `customers/{cid}/conversionActions/{id}`. */
  conversion_actions: Record<string, string>;
  api_version: string;
  /** OAuth token URL (default Google's; with `endpoint` set, `<endpoint>/token`). */
  token_endpoint: string | null;
}

export interface LinkedInConfig extends CommonConfig {
  type: "linkedin";
  access_token: string;
  /** Tally event name → `urn:lla:llaPartnerConversion:{id}`. */
  conversions: Record<string, string>;
  version: string;
}

export interface TikTokConfig extends CommonConfig {
  type: "tiktok";
  pixel_code: string;
  access_token: string;
  test_event_code: string | null;
  /** Tally event name → TikTok event name, over the standard mapping (Purchase → CompletePayment…). */
  event_map: Record<string, string>;
}

export interface WebhookConfig extends CommonConfig {
  type: "webhook";
  url: string;
  secret: string;
  /** Also receives rules' signals (`{"type": "tally.signal", "data": …}`); default false. */
  signals: boolean;
}

export type DestinationConfig = MetaConfig | GoogleAdsConfig | LinkedInConfig | TikTokConfig | WebhookConfig;

export type ConfigResult =
  { ok: true; config: DestinationConfig } | { ok: false; field: string; message: string };

/** Defaults of every type (API.md): 20 attempts, 1 s doubling; a request gives up after 10 s. */
export const DEFAULT_MAX_ATTEMPTS = 20;
export const DEFAULT_RETRY_BASE_MS = 1000;
export const DEFAULT_TIMEOUT_MS = 10_000;

export const DEFAULT_META_API_VERSION = "v24.0";
export const DEFAULT_GOOGLE_API_VERSION = "v23";
export const DEFAULT_LINKEDIN_VERSION = "202603";

const SECRET_FIELDS: Record<DestinationType, readonly string[]> = {
  meta: ["access_token", "app_secret"],
  google_ads: ["developer_token", "access_token", "client_secret", "refresh_token"],
  linkedin: ["access_token"],
  tiktok: ["access_token"],
  webhook: ["secret"],
};

const COMMON_FIELDS = ["endpoint", "max_attempts", "retry_base_ms", "timeout_ms"];
const FIELDS: Record<DestinationType, readonly string[]> = {
  meta: ["pixel_id", "access_token", "api_version", "test_event_code", "event_map", "app_secret"],
  google_ads: [
    "customer_id",
    "developer_token",
    "access_token",
    "client_id",
    "client_secret",
    "refresh_token",
    "login_customer_id",
    "conversion_actions",
    "api_version",
    "token_endpoint",
  ],
  linkedin: ["access_token", "conversions", "version"],
  tiktok: ["pixel_code", "access_token", "test_event_code", "event_map"],
  webhook: ["url", "secret", "signals"],
};

class Problem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Raw = Record<string, unknown>;

function str(
  raw: Raw,
  key: string,
  opts: { required: true; max?: number; pattern?: RegExp; hint?: string },
): string;
function str(
  raw: Raw,
  key: string,
  opts?: { required?: false; max?: number; pattern?: RegExp; hint?: string },
): string | null;
function str(
  raw: Raw,
  key: string,
  opts: { required?: boolean; max?: number; pattern?: RegExp; hint?: string } = {},
): string | null {
  const v = raw[key];
  if (v === undefined || v === null || v === "") {
    if (opts.required) throw new Problem(key, `\`config.${key}\` is required.`);
    return null;
  }
  if (typeof v !== "string") throw new Problem(key, `\`config.${key}\` must be a string.`);
  const s = v.trim();
  if (s === "" && opts.required) throw new Problem(key, `\`config.${key}\` must not be empty.`);
  if (s.length > (opts.max ?? 512))
    throw new Problem(key, `\`config.${key}\` is longer than ${opts.max ?? 512} characters.`);
  if (opts.pattern && !opts.pattern.test(s))
    throw new Problem(key, opts.hint ?? `\`config.${key}\` has an invalid format.`);
  return s;
}

function int(raw: Raw, key: string, def: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw new Problem(key, `\`config.${key}\` must be a whole number from ${min} to ${max}.`);
  return v;
}

function nameMap(
  raw: Raw,
  key: string,
  opts: { required: boolean; value?: RegExp; hint?: string },
): Record<string, string> {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (opts.required)
      throw new Problem(
        key,
        `\`config.${key}\` is required: an object from Tally event names to the platform's.`,
      );
    return {};
  }
  if (typeof v !== "object" || Array.isArray(v))
    throw new Problem(key, `\`config.${key}\` must be an object from Tally event names to the platform's.`);
  const out: Record<string, string> = {};
  for (const [name, target] of Object.entries(v as Raw)) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(name))
      throw new Problem(key, `\`config.${key}\` has "${name.slice(0, 64)}", which is not an event name.`);
    if (typeof target !== "string" || target.trim() === "" || target.length > 256)
      throw new Problem(key, `\`config.${key}.${name}\` must be a non-empty string.`);
    const t = target.trim();
    if (opts.value && !opts.value.test(t))
      throw new Problem(key, opts.hint ?? `\`config.${key}.${name}\` has an invalid format.`);
    out[name] = t;
  }
  if (opts.required && Object.keys(out).length === 0)
    throw new Problem(key, `\`config.${key}\` must map at least one event.`);
  return out;
}

function httpUrl(raw: Raw, key: string, required: boolean): string | null {
  const s = required ? str(raw, key, { required: true, max: 2048 }) : str(raw, key, { max: 2048 });
  if (s === null) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Problem(key, `\`config.${key}\` must be an absolute http(s) URL.`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new Problem(key, `\`config.${key}\` must be an http(s) URL.`);
  return required ? u.toString() : s.replace(/\/+$/, "");
}

function common(raw: Raw): CommonConfig {
  return {
    endpoint: httpUrl(raw, "endpoint", false),
    max_attempts: int(raw, "max_attempts", DEFAULT_MAX_ATTEMPTS, 1, 100),
    retry_base_ms: int(raw, "retry_base_ms", DEFAULT_RETRY_BASE_MS, 1, 600_000),
    timeout_ms: int(raw, "timeout_ms", DEFAULT_TIMEOUT_MS, 100, 120_000),
  };
}

const TEST_CODE = { max: 64 };

function parseMeta(raw: Raw): MetaConfig {
  return {
    type: "meta",
    ...common(raw),
    pixel_id: str(raw, "pixel_id", {
      required: true,
      max: 32,
      pattern: /^[0-9]+$/,
      hint: "`config.pixel_id` is the dataset (pixel) id: digits only.",
    }),
    access_token: str(raw, "access_token", { required: true, max: 2048 }),
    api_version:
      str(raw, "api_version", {
        max: 16,
        pattern: /^v\d+\.\d+$/,
        hint: "`config.api_version` looks like v24.0.",
      }) ?? DEFAULT_META_API_VERSION,
    test_event_code: str(raw, "test_event_code", TEST_CODE),
    event_map: nameMap(raw, "event_map", {
      required: false,
      value: /^[A-Za-z0-9_ ]{1,64}$/,
      hint: "`config.event_map` values are Meta event names (letters, digits, _).",
    }),
    app_secret: str(raw, "app_secret", { max: 256 }),
  };
}

const RESOURCE = /^customers\/\d{10}\/conversionActions\/\d+$/;

function parseGoogle(raw: Raw): GoogleAdsConfig {
  const cid = str(raw, "customer_id", { required: true, max: 20 }).replace(/-/g, "");
  if (!/^\d{10}$/.test(cid))
    throw new Problem(
      "customer_id",
      "`config.customer_id` is the 10-digit Google Ads customer id (dashes allowed).",
    );
  const developerToken = str(raw, "developer_token", { required: true, max: 512 });
  const login = str(raw, "login_customer_id", { max: 20 })?.replace(/-/g, "") ?? null;
  if (login !== null && !/^\d{10}$/.test(login))
    throw new Problem("login_customer_id", "`config.login_customer_id` is a 10-digit manager account id.");
  const accessToken = str(raw, "access_token", { max: 4096 });
  const clientId = str(raw, "client_id", { max: 512 });
  const clientSecret = str(raw, "client_secret", { max: 512 });
  const refreshToken = str(raw, "refresh_token", { max: 4096 });
  if (accessToken === null) {
    if (clientId === null && clientSecret === null && refreshToken === null)
      throw new Problem(
        "access_token",
        "`config.access_token` is required (or `client_id`, `client_secret` and `refresh_token`).",
      );
    for (const [k, v] of [
      ["client_id", clientId],
      ["client_secret", clientSecret],
      ["refresh_token", refreshToken],
    ] as const)
      if (v === null)
        throw new Problem(
          k,
          `\`config.${k}\` is required with an OAuth refresh token (or give \`access_token\`).`,
        );
  }
  const actions = nameMap(raw, "conversion_actions", { required: true });
  for (const [name, v] of Object.entries(actions)) {
    // A bare action id is completed with the customer id: what the API wants is the resource name.
    const full = /^\d+$/.test(v) ? `customers/${cid}/conversionActions/${v}` : v;
    if (!RESOURCE.test(full))
      throw new Problem(
        "conversion_actions",
        `\`config.conversion_actions.${name}\` must be customers/{customer_id}/conversionActions/{id} or the action id.`,
      );
    actions[name] = full;
  }
  return {
    type: "google_ads",
    ...common(raw),
    customer_id: cid,
    developer_token: developerToken,
    access_token: accessToken,
    client_id: clientId,
    client_secret: clientSecret,
    refresh_token: refreshToken,
    login_customer_id: login,
    conversion_actions: actions,
    api_version:
      str(raw, "api_version", { max: 8, pattern: /^v\d+$/, hint: "`config.api_version` looks like v23." }) ??
      DEFAULT_GOOGLE_API_VERSION,
    token_endpoint: httpUrl(raw, "token_endpoint", false),
  };
}

function parseLinkedIn(raw: Raw): LinkedInConfig {
  return {
    type: "linkedin",
    ...common(raw),
    access_token: str(raw, "access_token", { required: true, max: 4096 }),
    conversions: nameMap(raw, "conversions", {
      required: true,
      value: /^urn:lla:llaPartnerConversion:\d+$/,
      hint: "`config.conversions` values are conversion rule URNs: urn:lla:llaPartnerConversion:{id}.",
    }),
    version:
      str(raw, "version", {
        max: 6,
        pattern: /^\d{6}$/,
        hint: "`config.version` is a LinkedIn-Version such as 202603.",
      }) ?? DEFAULT_LINKEDIN_VERSION,
  };
}

function parseTikTok(raw: Raw): TikTokConfig {
  return {
    type: "tiktok",
    ...common(raw),
    pixel_code: str(raw, "pixel_code", {
      required: true,
      max: 64,
      pattern: /^[A-Za-z0-9_-]+$/,
      hint: "`config.pixel_code` is the TikTok pixel code (letters and digits).",
    }),
    access_token: str(raw, "access_token", { required: true, max: 2048 }),
    test_event_code: str(raw, "test_event_code", TEST_CODE),
    event_map: nameMap(raw, "event_map", {
      required: false,
      value: /^[A-Za-z0-9_]{1,64}$/,
      hint: "`config.event_map` values are TikTok event names.",
    }),
  };
}

function parseWebhook(raw: Raw): WebhookConfig {
  const secret = str(raw, "secret", { required: true, max: 512 });
  if (secret.length < 16)
    throw new Problem("secret", "`config.secret` must be at least 16 characters: it signs every request.");
  if (raw.signals !== undefined && typeof raw.signals !== "boolean")
    throw new Problem("signals", "`config.signals` must be true or false.");
  return {
    type: "webhook",
    ...common(raw),
    url: httpUrl(raw, "url", true)!,
    secret,
    signals: raw.signals === true,
  };
}

const PARSERS: Record<DestinationType, (raw: Raw) => DestinationConfig> = {
  meta: parseMeta,
  google_ads: parseGoogle,
  linkedin: parseLinkedIn,
  tiktok: parseTikTok,
  webhook: parseWebhook,
};

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
  const obj = raw as Raw;
  const allowed = new Set([...COMMON_FIELDS, ...FIELDS[type], "type"]);
  for (const k of Object.keys(obj))
    if (!allowed.has(k))
      return {
        ok: false,
        field: `config.${k}`,
        message: `\`config.${k}\` is not a ${type} setting; settings are ${[...COMMON_FIELDS, ...FIELDS[type]].join(", ")}.`,
      };
  try {
    return { ok: true, config: PARSERS[type](obj) };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, field: `config.${err.field}`, message: err.message };
    throw err;
  }
}

/** The config without its secrets (and without a webhook URL's query, which often is one). */
export function publicConfig(config: DestinationConfig): Record<string, unknown> {
  const secret = new Set(SECRET_FIELDS[config.type]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === "type" || secret.has(k) || v === null) continue;
    out[k] = v;
  }
  if (config.type === "webhook") {
    const u = new URL(config.url);
    out.url = `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  }
  return out;
}

/**
 * The URLs of a config that Tally will connect to, by field: each must pass the endpoint
 * policy (endpoint-policy.ts). Google's derived `<endpoint>/token` shares `endpoint`'s host.
 */
export function urlFields(config: DestinationConfig): [field: string, url: string][] {
  const out: [string, string][] = [];
  if (config.endpoint !== null) out.push(["endpoint", config.endpoint]);
  if (config.type === "webhook") out.push(["url", config.url]);
  if (config.type === "google_ads" && config.token_endpoint !== null)
    out.push(["token_endpoint", config.token_endpoint]);
  return out;
}

/** Event names a destination can send at all: Google and LinkedIn only those they have an action for. */
export function mappedEvents(config: DestinationConfig): string[] | null {
  if (config.type === "google_ads") return Object.keys(config.conversion_actions);
  if (config.type === "linkedin") return Object.keys(config.conversions);
  return null;
}
