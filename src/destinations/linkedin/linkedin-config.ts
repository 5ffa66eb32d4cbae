/** The settings of a LinkedIn (Conversions API) destination. */
import { commonConfig, nameMap, str, type CommonConfig, type ConfigSpec } from "../config-fields.js";

export interface LinkedInConfig extends CommonConfig {
  type: "linkedin";
  access_token: string;
  /** Tally event name → `urn:lla:llaPartnerConversion:{id}`. */
  conversions: Record<string, string>;
  version: string;
}

export const DEFAULT_LINKEDIN_VERSION = "202603";

export const linkedInConfig: ConfigSpec<LinkedInConfig> = {
  fields: ["access_token", "conversions", "version"],
  secrets: ["access_token"],
  parse: (raw) => ({
    type: "linkedin",
    ...commonConfig(raw),
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
  }),
  eventMaps: (c) => [["conversions", c.conversions]],
  urls: () => [],
  // Only the events a conversion rule exists for can be sent.
  mappedEvents: (c) => Object.keys(c.conversions),
};
