/**
 * Google OAuth for destinations configured with `client_id`, `client_secret` and
 * `refresh_token`: an access token is fetched from the token endpoint and kept until a
 * minute before it expires. An `access_token` in the config is used as is.
 */
import { createHash } from "node:crypto";
import { classifyStatus, excerpt, jsonOf } from "../http-status.js";
import type { GoogleAdsConfig } from "./google-ads-config.js";
import type { Authorization, Send } from "../types.js";

export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const TOKEN_TIMEOUT_MS = 10_000;

const cache = new Map<string, { token: string; expires: number }>();

/** Where the token comes from: the configured endpoint, `<endpoint>/token` for a fake, or Google. */
export function tokenUrl(config: Pick<GoogleAdsConfig, "token_endpoint" | "endpoint">): string {
  return config.token_endpoint ?? (config.endpoint ? `${config.endpoint}/token` : GOOGLE_TOKEN_URL);
}

export async function authorizeGoogle(
  config: Pick<
    GoogleAdsConfig,
    | "access_token"
    | "client_id"
    | "client_secret"
    | "refresh_token"
    | "token_endpoint"
    | "endpoint"
    | "timeout_ms"
  >,
  send: Send,
  now: number,
): Promise<Authorization> {
  if (config.access_token) return { ok: true, accessToken: config.access_token };
  const key = createHash("sha256")
    .update(`${tokenUrl(config)}\n${config.client_id}\n${config.refresh_token}`)
    .digest("hex");
  const hit = cache.get(key);
  if (hit && hit.expires > now) return { ok: true, accessToken: hit.token };
  const form = new URLSearchParams({
    grant_type: "refresh_token",
    client_id: config.client_id ?? "",
    client_secret: config.client_secret ?? "",
    refresh_token: config.refresh_token ?? "",
  });
  const answer = await send(
    {
      url: tokenUrl(config),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    },
    Math.min(config.timeout_ms, TOKEN_TIMEOUT_MS),
  );
  if (answer.kind === "timeout")
    return {
      ok: false,
      outcome: {
        kind: "retry",
        code: null,
        error: `Google OAuth token request timed out after ${answer.ms} ms`,
      },
    };
  if (answer.kind === "network")
    return {
      ok: false,
      outcome: { kind: "retry", code: null, error: `Google OAuth token request failed: ${answer.message}` },
    };
  if (answer.kind === "refused")
    return {
      ok: false,
      outcome: {
        kind: "failed",
        code: null,
        error: `endpoint_not_allowed: Google OAuth token endpoint ${answer.message}`,
        isolate: false,
      },
    };
  const body = jsonOf(answer.text) as {
    access_token?: unknown;
    expires_in?: unknown;
    error?: unknown;
    error_description?: unknown;
  } | null;
  if (answer.status === 200 && body && typeof body.access_token === "string") {
    const ttl = typeof body.expires_in === "number" ? body.expires_in * 1000 : 3_600_000;
    cache.set(key, { token: body.access_token, expires: now + Math.max(0, ttl - 60_000) });
    return { ok: true, accessToken: body.access_token };
  }
  const detail =
    body && typeof body.error === "string"
      ? `${body.error}${typeof body.error_description === "string" ? ` (${excerpt(body.error_description, 200)})` : ""}`
      : null;
  const outcome = classifyStatus(answer, "Google OAuth", detail, now);
  // A refused refresh token concerns every event of the destination, never one of them.
  return { ok: false, outcome: outcome.kind === "failed" ? { ...outcome, isolate: false } : outcome };
}
