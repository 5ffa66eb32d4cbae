/** The settings of a TikTok (Events API) destination. */
import {
  commonConfig,
  nameMap,
  str,
  TEST_EVENT_CODE,
  type CommonConfig,
  type ConfigSpec,
} from "../config-fields.js";

export interface TikTokConfig extends CommonConfig {
  type: "tiktok";
  pixel_code: string;
  access_token: string;
  test_event_code: string | null;
  /** Tally event name → TikTok event name, over the standard mapping (Purchase → CompletePayment…). */
  event_map: Record<string, string>;
}

export const tiktokConfig: ConfigSpec<TikTokConfig> = {
  fields: ["pixel_code", "access_token", "test_event_code", "event_map"],
  secrets: ["access_token"],
  parse: (raw) => ({
    type: "tiktok",
    ...commonConfig(raw),
    pixel_code: str(raw, "pixel_code", {
      required: true,
      max: 64,
      pattern: /^[A-Za-z0-9_-]+$/,
      hint: "`config.pixel_code` is the TikTok pixel code (letters and digits).",
    }),
    access_token: str(raw, "access_token", { required: true, max: 2048 }),
    test_event_code: str(raw, "test_event_code", TEST_EVENT_CODE),
    event_map: nameMap(raw, "event_map", {
      required: false,
      value: /^[A-Za-z0-9_]{1,64}$/,
      hint: "`config.event_map` values are TikTok event names.",
    }),
  }),
  eventMaps: (c) => [["event_map", c.event_map]],
  urls: () => [],
  mappedEvents: () => null,
};
