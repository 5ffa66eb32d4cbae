/**
 * Sending one alert notification to a channel: a signed webhook (`{"type": "tally.alert",
 * "data": alert}` with `Tally-Signature`, as destination webhooks are signed), a Slack incoming
 * webhook (`{"text": …}`), or an email over SMTP (nodemailer). HTTP goes through the
 * policy-bound client; SMTP connects only to an address the endpoint policy allows. The
 * answer is classified like forwarding's: done, retry (429, 5xx, timeouts, network, SMTP 4xx),
 * or failed for good (other 4xx, SMTP 5xx, a refused address).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import nodemailer from "nodemailer";
import type { AlertJson } from "../../domain/alert.js";
import type { ChannelConfig } from "../../alerts/channel-config.js";
import { isPublicAddress, type EndpointPolicy, type Resolve } from "../endpoint-policy.js";
import { parseRetryAfter } from "../backoff.js";
import { isRetryableStatus } from "../http-status.js";
import type { Send } from "../types.js";
import { signWebhook } from "../webhook/webhook-signature.js";

export type ChannelOutcome =
  | { kind: "done" }
  | { kind: "retry"; error: string; retryAfterMs?: number }
  | { kind: "failed"; error: string };

export interface ChannelSenderDeps {
  send: Send;
  policy: EndpointPolicy;
  resolve?: Resolve;
  timeoutMs?: number;
  now?: () => number;
}

const DIAGNOSIS_WORDS: Record<string, string> = {
  tracking_broken: "tracking looks broken",
  traffic_dropped: "traffic itself dropped",
  traffic_spike: "traffic spiked",
  value_misreported: "values look misreported",
  duplicate_sending: "events are being sent twice",
  destination_problem: "a destination is in trouble",
};

/** One line a person reads in Slack or an email subject. */
export function alertLine(a: AlertJson): string {
  const state = a.status === "firing" ? `${a.severity === "critical" ? "CRITICAL" : "Warning"}` : "Resolved";
  const why = a.diagnosis ? ` (${DIAGNOSIS_WORDS[a.diagnosis] ?? a.diagnosis})` : "";
  return `[Tally] ${state}: ${a.kind}${why}`;
}

export function createChannelSender(deps: ChannelSenderDeps) {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const now = deps.now ?? Date.now;
  const resolve: Resolve = deps.resolve ?? ((h) => dnsLookup(h, { all: true, verbatim: true }));

  async function http(url: string, body: string, headers: Record<string, string>): Promise<ChannelOutcome> {
    const a = await deps.send(
      { url, headers: { "content-type": "application/json", ...headers }, body },
      timeoutMs,
    );
    if (a.kind === "refused") return { kind: "failed", error: a.message };
    if (a.kind === "timeout") return { kind: "retry", error: `no answer within ${a.ms} ms` };
    if (a.kind === "network") return { kind: "retry", error: a.message };
    if (a.status >= 200 && a.status < 300) return { kind: "done" };
    const error = `HTTP ${a.status}: ${a.text.slice(0, 200)}`;
    if (isRetryableStatus(a.status)) {
      const retryAfterMs = parseRetryAfter(a.headers["retry-after"], now());
      return retryAfterMs === undefined ? { kind: "retry", error } : { kind: "retry", error, retryAfterMs };
    }
    return { kind: "failed", error };
  }

  async function email(c: Extract<ChannelConfig, { type: "email" }>, a: AlertJson): Promise<ChannelOutcome> {
    const u = new URL(c.smtp_url);
    const secure = u.protocol === "smtps:";
    // Connect to an address the policy allows, by address, so DNS cannot point it inward later.
    let address: string;
    try {
      const found = await resolve(u.hostname);
      if (found.length === 0) return { kind: "retry", error: `${u.hostname} has no address` };
      if (!deps.policy.allowPrivate && found.some((f) => !isPublicAddress(f.address)))
        return {
          kind: "failed",
          error: `${u.hostname} resolved to a private, loopback or reserved address; not sent`,
        };
      address = found[0]!.address;
    } catch (err) {
      return { kind: "retry", error: `${u.hostname} did not resolve: ${(err as Error).message}` };
    }
    const transport = nodemailer.createTransport({
      host: address,
      port: Number(u.port) || (secure ? 465 : 587),
      secure,
      ...(u.username
        ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } }
        : {}),
      tls: { servername: u.hostname },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    try {
      await transport.sendMail({
        from: c.from ?? `Tally alerts <alerts@${u.hostname}>`,
        to: c.to,
        subject: alertLine(a),
        text: `${a.message}\n\nKind: ${a.kind}\nStatus: ${a.status}\nSeverity: ${a.severity}\nDiagnosis: ${a.diagnosis ?? "-"}\nStarted: ${a.started_at}${a.resolved_at ? `\nResolved: ${a.resolved_at}` : ""}\nDetails: ${JSON.stringify(a.details)}\n`,
      });
      return { kind: "done" };
    } catch (err) {
      const e = err as { responseCode?: number; message?: string };
      const error = `SMTP: ${(e.message ?? String(err)).slice(0, 200)}`;
      return e.responseCode !== undefined && e.responseCode >= 500
        ? { kind: "failed", error }
        : { kind: "retry", error };
    } finally {
      transport.close();
    }
  }

  /** Sends `alert` to the channel; never throws. */
  return async function sendAlert(c: ChannelConfig, alert: AlertJson): Promise<ChannelOutcome> {
    if (c.type === "webhook") {
      const body = JSON.stringify({ type: "tally.alert", data: alert });
      return http(c.url, body, { "tally-signature": signWebhook(c.secret, Math.floor(now() / 1000), body) });
    }
    if (c.type === "slack") {
      const text = `${alertLine(alert)}\n${alert.message}`;
      return http(c.webhook_url, JSON.stringify({ text }), {});
    }
    return email(c, alert);
  };
}

export type SendAlert = ReturnType<typeof createChannelSender>;
