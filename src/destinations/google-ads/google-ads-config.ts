/**
 * The settings of a Google Ads (click conversion upload) destination: either an access token,
 * or the OAuth client and refresh token Tally refreshes it with (google-oauth.ts).
 */
import {
  commonConfig,
  ConfigProblem,
  httpUrl,
  nameMap,
  str,
  type CommonConfig,
  type ConfigSpec,
  type RawConfig,
} from "../config-fields.js";

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

export const DEFAULT_GOOGLE_API_VERSION = "v23";

const RESOURCE = /^customers\/\d{10}\/conversionActions\/\d+$/;

function parseGoogleAds(raw: RawConfig): GoogleAdsConfig {
  const cid = str(raw, "customer_id", { required: true, max: 20 }).replace(/-/g, "");
  if (!/^\d{10}$/.test(cid))
    throw new ConfigProblem(
      "customer_id",
      "`config.customer_id` is the 10-digit Google Ads customer id (dashes allowed).",
    );
  const developerToken = str(raw, "developer_token", { required: true, max: 512 });
  const login = str(raw, "login_customer_id", { max: 20 })?.replace(/-/g, "") ?? null;
  if (login !== null && !/^\d{10}$/.test(login))
    throw new ConfigProblem(
      "login_customer_id",
      "`config.login_customer_id` is a 10-digit manager account id.",
    );
  const accessToken = str(raw, "access_token", { max: 4096 });
  const clientId = str(raw, "client_id", { max: 512 });
  const clientSecret = str(raw, "client_secret", { max: 512 });
  const refreshToken = str(raw, "refresh_token", { max: 4096 });
  if (accessToken === null) {
    if (clientId === null && clientSecret === null && refreshToken === null)
      throw new ConfigProblem(
        "access_token",
        "`config.access_token` is required (or `client_id`, `client_secret` and `refresh_token`).",
      );
    for (const [k, v] of [
      ["client_id", clientId],
      ["client_secret", clientSecret],
      ["refresh_token", refreshToken],
    ] as const)
      if (v === null)
        throw new ConfigProblem(
          k,
          `\`config.${k}\` is required with an OAuth refresh token (or give \`access_token\`).`,
        );
  }
  const actions = nameMap(raw, "conversion_actions", { required: true });
  for (const [name, v] of Object.entries(actions)) {
    // A bare action id is completed with the customer id: what the API wants is the resource name.
    const full = /^\d+$/.test(v) ? `customers/${cid}/conversionActions/${v}` : v;
    if (!RESOURCE.test(full))
      throw new ConfigProblem(
        "conversion_actions",
        `\`config.conversion_actions.${name}\` must be customers/{customer_id}/conversionActions/{id} or the action id.`,
      );
    actions[name] = full;
  }
  return {
    type: "google_ads",
    ...commonConfig(raw),
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

export const googleAdsConfig: ConfigSpec<GoogleAdsConfig> = {
  fields: [
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
  secrets: ["developer_token", "access_token", "client_secret", "refresh_token"],
  parse: parseGoogleAds,
  eventMaps: (c) => [["conversion_actions", c.conversion_actions]],
  // Google's derived `<endpoint>/token` shares `endpoint`'s host, checked with it.
  urls: (c) => (c.token_endpoint === null ? [] : [["token_endpoint", c.token_endpoint]]),
  // Only the events a conversion action exists for can be sent.
  mappedEvents: (c) => Object.keys(c.conversion_actions),
};
