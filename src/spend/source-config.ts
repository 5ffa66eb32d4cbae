/**
 * The config of a spend source (`POST /v1/spend-sources`), checked field by field: the
 * platform's credentials and account, and optional `endpoint` (tests point it at a local
 * fake), `currency` (the account's, when the platform does not say), `lookback_days`.
 * Secrets (`access_token`, `client_secret`, `refresh_token`, `developer_token`) are sealed
 * with the rest and never answered back (`publicSourceConfig`).
 */
import { isCurrency } from "./validate-spend.js";
import type { SpendSourceType } from "../storage/spend-store.js";

export const SPEND_SOURCE_TYPES: readonly SpendSourceType[] = ["meta", "google_ads", "tiktok", "linkedin"];

export function isSpendSourceType(t: unknown): t is SpendSourceType {
  return typeof t === "string" && (SPEND_SOURCE_TYPES as readonly string[]).includes(t);
}

/** The platform each source type's rows carry (as click ids name them: google, not google_ads). */
export const PLATFORM_OF: Record<SpendSourceType, string> = {
  meta: "meta",
  google_ads: "google",
  tiktok: "tiktok",
  linkedin: "linkedin",
};

const SECRET_FIELDS = new Set(["access_token", "client_secret", "refresh_token", "developer_token"]);

interface Common {
  endpoint: string | null;
  /** The account's currency when the platform's report does not carry it; null: the workspace's. */
  currency: string | null;
  /** Days pulled each time, today included (platforms restate the last days). */
  lookback_days: number;
  timeout_ms: number;
}

export interface MetaSourceConfig extends Common {
  type: "meta";
  /** Digits, without `act_`. */
  ad_account_id: string;
  access_token: string;
  api_version: string;
}

export interface GoogleAdsSourceConfig extends Common {
  type: "google_ads";
  customer_id: string;
  developer_token: string;
  access_token: string | null;
  client_id: string | null;
  client_secret: string | null;
  refresh_token: string | null;
  login_customer_id: string | null;
  api_version: string;
  token_endpoint: string | null;
}

export interface TikTokSourceConfig extends Common {
  type: "tiktok";
  advertiser_id: string;
  access_token: string;
}

export interface LinkedInSourceConfig extends Common {
  type: "linkedin";
  /** Digits of `urn:li:sponsoredAccount:{id}`. */
  account_id: string;
  access_token: string;
  version: string;
}

export type SpendSourceConfig =
  MetaSourceConfig | GoogleAdsSourceConfig | TikTokSourceConfig | LinkedInSourceConfig;

export type SourceConfigResult =
  { ok: true; config: SpendSourceConfig } | { ok: false; field: string; message: string };

export const DEFAULT_LOOKBACK_DAYS = 3;
export const DEFAULT_META_INSIGHTS_VERSION = "v25.0";
export const DEFAULT_GOOGLE_ADS_VERSION = "v22";
export const DEFAULT_LINKEDIN_REST_VERSION = "202601";

class Bad extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const FIELDS: Record<SpendSourceType, readonly string[]> = {
  meta: ["ad_account_id", "access_token", "api_version"],
  google_ads: [
    "customer_id",
    "developer_token",
    "access_token",
    "client_id",
    "client_secret",
    "refresh_token",
    "login_customer_id",
    "api_version",
    "token_endpoint",
  ],
  tiktok: ["advertiser_id", "access_token"],
  linkedin: ["account_id", "access_token", "version"],
};
const COMMON = ["endpoint", "currency", "lookback_days", "timeout_ms"];

/**
 * @example
 * parseSourceConfig("meta", { ad_account_id: "act_123", access_token: "EAAB…" });
 * // { ok: true, config: { type: "meta", ad_account_id: "123", access_token: "EAAB…", api_version: "v25.0", … } }
 * parseSourceConfig("tiktok", { access_token: "t" });
 * // { ok: false, field: "config.advertiser_id", message: "`config.advertiser_id` is required." }
 */
export function parseSourceConfig(type: SpendSourceType, raw: unknown): SourceConfigResult {
  try {
    return { ok: true, config: parse(type, raw) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, field: e.field, message: e.message };
    throw e;
  }
}

function parse(type: SpendSourceType, raw: unknown): SpendSourceConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Bad("config", "`config` must be an object with the platform's credentials and account.");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!FIELDS[type].includes(k) && !COMMON.includes(k))
      throw new Bad(
        `config.${k}`,
        `\`config.${k}\` is not a ${type} spend source setting; settings are ${[...FIELDS[type], ...COMMON].join(", ")}.`,
      );
  const str = (k: string, required: boolean, pattern?: RegExp, hint?: string): string | null => {
    const v = o[k];
    if (v === undefined || v === null || v === "") {
      if (required) throw new Bad(`config.${k}`, `\`config.${k}\` is required.`);
      return null;
    }
    const s = typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof s !== "string") throw new Bad(`config.${k}`, `\`config.${k}\` must be a string.`);
    const t = s.trim();
    if (t.length > 4096 || t.includes("\u0000"))
      throw new Bad(`config.${k}`, `\`config.${k}\` is not valid.`);
    if (pattern && !pattern.test(t))
      throw new Bad(`config.${k}`, hint ?? `\`config.${k}\` has an invalid format.`);
    return t;
  };
  const int = (k: string, min: number, max: number, def: number): number => {
    const v = o[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw new Bad(`config.${k}`, `\`config.${k}\` must be a whole number from ${min} to ${max}.`);
    return v;
  };
  const endpoint = str(
    "endpoint",
    false,
    /^https?:\/\/[^\s]+$/i,
    "`config.endpoint` must be an http(s) URL.",
  );
  const currencyRaw = str("currency", false);
  if (currencyRaw !== null && !isCurrency(currencyRaw))
    throw new Bad("config.currency", "`config.currency` is not an ISO 4217 currency code (e.g. USD, EUR).");
  const common: Common = {
    endpoint: endpoint?.replace(/\/+$/, "") ?? null,
    currency: currencyRaw?.toUpperCase() ?? null,
    // TikTok's daily report covers at most 30 days.
    lookback_days: int("lookback_days", 1, 30, DEFAULT_LOOKBACK_DAYS),
    timeout_ms: int("timeout_ms", 1000, 120_000, 30_000),
  };
  switch (type) {
    case "meta":
      return {
        type,
        ...common,
        ad_account_id: str(
          "ad_account_id",
          true,
          /^(act_)?\d{1,32}$/,
          "`config.ad_account_id` is the ad account's number, with or without `act_`.",
        )!.replace(/^act_/, ""),
        access_token: str("access_token", true)!,
        api_version:
          str("api_version", false, /^v\d{1,3}\.\d$/, "`config.api_version` looks like v25.0.") ??
          DEFAULT_META_INSIGHTS_VERSION,
      };
    case "google_ads": {
      const cid = /^\d{3}-?\d{3}-?\d{4}$/;
      const hint = (k: string) => `\`config.${k}\` is a 10-digit customer id (dashes allowed).`;
      const c: GoogleAdsSourceConfig = {
        type,
        ...common,
        customer_id: str("customer_id", true, cid, hint("customer_id"))!.replace(/-/g, ""),
        developer_token: str("developer_token", true)!,
        access_token: str("access_token", false),
        client_id: str("client_id", false),
        client_secret: str("client_secret", false),
        refresh_token: str("refresh_token", false),
        login_customer_id:
          str("login_customer_id", false, cid, hint("login_customer_id"))?.replace(/-/g, "") ?? null,
        api_version:
          str("api_version", false, /^v\d{1,3}$/, "`config.api_version` looks like v22.") ??
          DEFAULT_GOOGLE_ADS_VERSION,
        token_endpoint: str(
          "token_endpoint",
          false,
          /^https?:\/\/[^\s]+$/i,
          "`config.token_endpoint` must be a URL.",
        ),
      };
      if (!c.access_token && !(c.client_id && c.client_secret && c.refresh_token))
        throw new Bad(
          "config.access_token",
          "Give `config.access_token`, or `config.client_id`, `config.client_secret` and `config.refresh_token`.",
        );
      return c;
    }
    case "tiktok":
      return {
        type,
        ...common,
        advertiser_id: str("advertiser_id", true, /^\d{1,32}$/, "`config.advertiser_id` is a number.")!,
        access_token: str("access_token", true)!,
      };
    case "linkedin":
      return {
        type,
        ...common,
        account_id: str(
          "account_id",
          true,
          /^(urn:li:sponsoredAccount:)?\d{1,32}$/,
          "`config.account_id` is the ad account's number or its urn:li:sponsoredAccount URN.",
        )!.replace(/^urn:li:sponsoredAccount:/, ""),
        access_token: str("access_token", true)!,
        version:
          str("version", false, /^\d{6}$/, "`config.version` is YYYYMM.") ?? DEFAULT_LINKEDIN_REST_VERSION,
      };
  }
}

/** The config without its secrets, for answers. */
export function publicSourceConfig(c: SpendSourceConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (!SECRET_FIELDS.has(k) && k !== "type") out[k] = v;
  return out;
}

/** The URLs of a config that must pass the endpoint policy. */
export function sourceUrls(c: SpendSourceConfig): [string, string][] {
  const out: [string, string][] = [];
  if (c.endpoint) out.push(["endpoint", c.endpoint]);
  if (c.type === "google_ads" && c.token_endpoint) out.push(["token_endpoint", c.token_endpoint]);
  return out;
}

/** The account a source's rows carry. */
export function accountOf(c: SpendSourceConfig): string {
  switch (c.type) {
    case "meta":
      return `act_${c.ad_account_id}`;
    case "google_ads":
      return c.customer_id;
    case "tiktok":
      return c.advertiser_id;
    case "linkedin":
      return c.account_id;
  }
}
