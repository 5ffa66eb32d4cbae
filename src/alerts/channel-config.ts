/**
 * Alert channels' configs (`POST /v1/alert-channels`): a signed webhook `{url, secret}`, a
 * Slack incoming webhook `{webhook_url}`, or email `{to, smtp_url}`. Parsed here with a bad
 * field named; URLs (and the SMTP host) then pass the endpoint policy like destinations'.
 * Secrets (webhook secret, Slack URL, SMTP password) are never shown back.
 */
export type ChannelType = "webhook" | "slack" | "email";
export const CHANNEL_TYPES: readonly ChannelType[] = ["webhook", "slack", "email"];

export type ChannelConfig =
  | { type: "webhook"; url: string; secret: string }
  | { type: "slack"; webhook_url: string }
  | { type: "email"; to: string[]; smtp_url: string; from?: string };

export type ChannelParse =
  { ok: true; config: ChannelConfig } | { ok: false; field: string; message: string };

const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

const bad = (field: string, message: string): ChannelParse => ({ ok: false, field, message });

function absoluteUrl(v: unknown): URL | null {
  if (typeof v !== "string" || v.length > 2048) return null;
  try {
    return new URL(v);
  } catch {
    return null;
  }
}

export function parseChannelConfig(type: ChannelType, raw: unknown): ChannelParse {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return bad("config", "`config` must be an object.");
  const c = raw as Record<string, unknown>;
  const allowed = { webhook: ["url", "secret"], slack: ["webhook_url"], email: ["to", "smtp_url", "from"] }[
    type
  ];
  const stray = Object.keys(c).find((k) => !allowed.includes(k));
  if (stray !== undefined)
    return bad(
      `config.${stray}`,
      `\`config.${stray}\` is not a ${type} setting; settings are ${allowed.join(", ")}.`,
    );
  if (type === "webhook") {
    if (!absoluteUrl(c.url)) return bad("config.url", "`config.url` must be an absolute https:// URL.");
    if (typeof c.secret !== "string" || c.secret.length < 16 || c.secret.length > 256)
      return bad(
        "config.secret",
        "`config.secret` must be a string of 16 to 256 characters (it signs each body).",
      );
    return { ok: true, config: { type, url: c.url as string, secret: c.secret } };
  }
  if (type === "slack") {
    if (!absoluteUrl(c.webhook_url))
      return bad(
        "config.webhook_url",
        "`config.webhook_url` must be the Slack incoming-webhook URL (https://hooks.slack.com/…).",
      );
    return { ok: true, config: { type, webhook_url: c.webhook_url as string } };
  }
  const to = typeof c.to === "string" ? [c.to] : c.to;
  if (
    !Array.isArray(to) ||
    to.length === 0 ||
    to.length > 20 ||
    !to.every((a) => typeof a === "string" && EMAIL.test(a))
  )
    return bad("config.to", "`config.to` must be an email address or a list of up to 20.");
  const smtp = absoluteUrl(c.smtp_url);
  if (!smtp || (smtp.protocol !== "smtp:" && smtp.protocol !== "smtps:") || !smtp.hostname)
    return bad(
      "config.smtp_url",
      "`config.smtp_url` must be smtp://user:pass@host:587 or smtps://user:pass@host:465.",
    );
  if (c.from !== undefined && (typeof c.from !== "string" || !EMAIL.test(c.from)))
    return bad("config.from", "`config.from` must be an email address.");
  return {
    ok: true,
    config: {
      type,
      to: to as string[],
      smtp_url: c.smtp_url as string,
      ...(typeof c.from === "string" ? { from: c.from } : {}),
    },
  };
}

/** The URLs the endpoint policy must allow, with their fields (the SMTP host as an https URL of it). */
export function channelUrls(c: ChannelConfig): [string, string][] {
  if (c.type === "webhook") return [["config.url", c.url]];
  if (c.type === "slack") return [["config.webhook_url", c.webhook_url]];
  return [["config.smtp_url", `https://${new URL(c.smtp_url).host}/`]];
}

/** What the API shows of a config: no secret, no Slack path (it is the secret), no SMTP password. */
export function publicChannelConfig(c: ChannelConfig): Record<string, unknown> {
  if (c.type === "webhook") return { url: c.url };
  if (c.type === "slack") return { webhook_host: new URL(c.webhook_url).host };
  const u = new URL(c.smtp_url);
  return { to: c.to, smtp_host: u.host, ...(c.from ? { from: c.from } : {}) };
}
