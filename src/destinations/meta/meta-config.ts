/** The settings of a Meta (Conversions API) destination. */
import {
  commonConfig,
  nameMap,
  str,
  TEST_EVENT_CODE,
  type CommonConfig,
  type ConfigSpec,
} from "../config-fields.js";

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

export const DEFAULT_META_API_VERSION = "v24.0";

export const metaConfig: ConfigSpec<MetaConfig> = {
  fields: ["pixel_id", "access_token", "api_version", "test_event_code", "event_map", "app_secret"],
  secrets: ["access_token", "app_secret"],
  parse: (raw) => ({
    type: "meta",
    ...commonConfig(raw),
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
    test_event_code: str(raw, "test_event_code", TEST_EVENT_CODE),
    event_map: nameMap(raw, "event_map", {
      required: false,
      value: /^[A-Za-z0-9_ ]{1,64}$/,
      hint: "`config.event_map` values are Meta event names (letters, digits, _).",
    }),
    app_secret: str(raw, "app_secret", { max: 256 }),
  }),
  eventMaps: (c) => [["event_map", c.event_map]],
  urls: () => [],
  mappedEvents: () => null,
};
