/**
 * The one place Tally sends outbound HTTP (the lint keeps `fetch` out of everything but
 * destinations/). Every request has a timeout; redirects are not followed (credentials are
 * for the configured host only, and a redirect could point inward); failures come back as
 * answers, never as exceptions. Every request passes the endpoint policy: the URL before it
 * is sent, and the addresses of its host each time a connection is opened (undici's
 * connector hands `lookup` to net/tls), so a URL refused by the policy never gets a byte
 * through, and no body of an internal host can reach a delivery's `last_error`.
 */
import { Agent, fetch, type Response } from "undici";
import { EndpointRefusedError, type EndpointPolicy } from "./endpoint-policy.js";
import type { HttpAnswer, HttpRequest, Send } from "./types.js";

/** Longest response body read (platform answers are small; a runaway one is cut). */
const MAX_BODY_BYTES = 1_048_576;

async function readText(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the URL";
  }
}

/** The policy's refusal somewhere in the error's cause chain, if that is why it failed. */
function refusal(err: unknown): EndpointRefusedError | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof EndpointRefusedError) return e;
  return null;
}

function causeMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code;
  return code
    ? `${code}${e.cause?.message ? ` (${e.cause.message})` : ""}`
    : (e.cause?.message ?? e.message ?? String(err));
}

export interface HttpClient {
  /** POSTs a request; gives up after `timeoutMs` (headers and body included) or when `signal` aborts. */
  send: Send;
  /** Closes the kept-alive connections. */
  close(): Promise<void>;
}

/**
 * The outbound HTTP client of a running Tally, bound to the endpoint policy.
 *
 * @example
 * const http = createHttpClient(createEndpointPolicy({ allowPrivate: false }));
 * await http.send({ url: "https://graph.facebook.com/v24.0/123/events", headers, body }, 10_000);
 * // { kind: "response", status: 200, headers: { … }, text: '{"events_received":1,…}' }
 * await http.send({ url: "https://rebinds-to-loopback.example/", headers, body }, 10_000);
 * // { kind: "refused", message: "rebinds-to-loopback.example resolved to a private … address; …" }
 */
export function createHttpClient(policy: EndpointPolicy): HttpClient {
  const agent = new Agent({ connect: { lookup: policy.lookup } });

  async function send(req: HttpRequest, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer> {
    const verdict = policy.checkStatic(req.url);
    if (!verdict.ok) return { kind: "refused", message: `${hostOf(req.url)} ${verdict.reason}` };
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    try {
      const res = await fetch(req.url, {
        method: req.method ?? "POST",
        headers: req.headers,
        body: req.method === "GET" ? undefined : req.body,
        redirect: "manual",
        signal: combined,
        dispatcher: agent,
      });
      const text = await readText(res);
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      return { kind: "response", status: res.status, headers, text };
    } catch (err) {
      const refused = refusal(err);
      if (refused) return { kind: "refused", message: refused.message };
      if (timeout.aborted) return { kind: "timeout", ms: timeoutMs };
      if (signal?.aborted) return { kind: "network", message: "aborted: Tally is stopping" };
      return { kind: "network", message: causeMessage(err) };
    }
  }

  return { send, close: () => agent.close() };
}
