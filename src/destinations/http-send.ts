/**
 * The one place Tally sends outbound HTTP (the lint keeps `fetch` out of everything but
 * destinations/). Every request has a timeout; redirects are not followed (credentials are
 * for the configured host only); failures come back as answers, never as exceptions.
 */
import type { HttpAnswer, HttpRequest } from "./types.js";

/** Longest response body read (platform answers are small; a runaway one is cut). */
const MAX_BODY_BYTES = 1_048_576;

async function readText(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
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

function causeMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code;
  return code
    ? `${code}${e.cause?.message ? ` (${e.cause.message})` : ""}`
    : (e.cause?.message ?? e.message ?? String(err));
}

/**
 * POSTs `req`; gives up after `timeoutMs` (headers and body included) or when `signal` aborts.
 *
 * @example
 * await httpSend({ url: "https://graph.facebook.com/v24.0/123/events", headers, body }, 10_000);
 * // { kind: "response", status: 200, headers: { … }, text: '{"events_received":1,…}' }
 */
export async function httpSend(
  req: HttpRequest,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  try {
    const res = await fetch(req.url, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal: combined,
    });
    const text = await readText(res);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { kind: "response", status: res.status, headers, text };
  } catch (err) {
    if (timeout.aborted) return { kind: "timeout", ms: timeoutMs };
    if (signal?.aborted) return { kind: "network", message: "aborted: Tally is stopping" };
    return { kind: "network", message: causeMessage(err) };
  }
}
