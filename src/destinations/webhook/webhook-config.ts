/** The settings of a webhook destination: a URL and the secret that signs every request. */
import {
  commonConfig,
  ConfigProblem,
  httpUrl,
  str,
  type CommonConfig,
  type ConfigSpec,
} from "../config-fields.js";

export interface WebhookConfig extends CommonConfig {
  type: "webhook";
  url: string;
  secret: string;
  /** Also receives rules' signals (`{"type": "tally.signal", "data": …}`); default false. */
  signals: boolean;
}

export const webhookConfig: ConfigSpec<WebhookConfig> = {
  fields: ["url", "secret", "signals"],
  secrets: ["secret"],
  parse(raw) {
    const secret = str(raw, "secret", { required: true, max: 512 });
    if (secret.length < 16)
      throw new ConfigProblem(
        "secret",
        "`config.secret` must be at least 16 characters: it signs every request.",
      );
    if (raw.signals !== undefined && typeof raw.signals !== "boolean")
      throw new ConfigProblem("signals", "`config.signals` must be true or false.");
    return {
      type: "webhook",
      ...commonConfig(raw),
      url: httpUrl(raw, "url", true),
      secret,
      signals: raw.signals === true,
    };
  },
  eventMaps: () => [],
  urls: (c) => [["url", c.url]],
  mappedEvents: () => null,
  // A URL's query often is a secret of its own: shown as `?…`.
  shown(field, value) {
    if (field !== "url") return value;
    const u = new URL(value as string);
    return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  },
};
