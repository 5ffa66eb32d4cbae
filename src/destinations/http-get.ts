/**
 * GET for the few public documents Tally reads (the cloud providers' published address
 * ranges), through the same endpoint policy as every other outbound request: `https://` to
 * public hosts unless the operator allows private endpoints, checked before each request and
 * inside every connection. Redirects are followed (at most 3), each hop checked again; the
 * body is read up to a limit; failures come back as answers, never as exceptions.
 */
import { Agent, fetch, type Response } from "undici";
import { EndpointRefusedError, type EndpointPolicy } from "./endpoint-policy.js";

export type GetAnswer =
  | { kind: "response"; status: number; contentType: string; text: string }
  | { kind: "timeout"; ms: number }
  | { kind: "network"; message: string }
  | { kind: "refused"; message: string }
  | { kind: "too_large"; limitBytes: number };

export interface HttpGet {
  (url: string, opts: { timeoutMs: number; maxBytes: number }): Promise<GetAnswer>;
  close(): Promise<void>;
}

const MAX_REDIRECTS = 3;

/**
 * @example
 * const get = createHttpGet(createEndpointPolicy({ allowPrivate: false }));
 * await get("https://ip-ranges.amazonaws.com/ip-ranges.json", { timeoutMs: 60_000, maxBytes: 64 << 20 });
 * // { kind: "response", status: 200, contentType: "application/json", text: '{"syncToken":…' }
 */
export function createHttpGet(policy: EndpointPolicy): HttpGet {
  const agent = new Agent({ connect: { lookup: policy.lookup } });

  async function get(url: string, opts: { timeoutMs: number; maxBytes: number }): Promise<GetAnswer> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    let current = url;
    try {
      for (let hop = 0; ; hop++) {
        const verdict = policy.checkStatic(current);
        if (!verdict.ok) return { kind: "refused", message: `${hostOf(current)} ${verdict.reason}` };
        const res = await fetch(current, { redirect: "manual", signal: timeout, dispatcher: agent });
        const location = res.headers.get("location");
        if (res.status >= 300 && res.status < 400 && location) {
          await res.body?.cancel();
          if (hop >= MAX_REDIRECTS)
            return { kind: "network", message: `more than ${MAX_REDIRECTS} redirects` };
          current = new URL(location, current).toString();
          continue;
        }
        const body = await readLimited(res, opts.maxBytes);
        if (body === null) return { kind: "too_large", limitBytes: opts.maxBytes };
        return {
          kind: "response",
          status: res.status,
          contentType: res.headers.get("content-type") ?? "",
          text: body,
        };
      }
    } catch (err) {
      for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
        if (e instanceof EndpointRefusedError) return { kind: "refused", message: e.message };
      if (timeout.aborted) return { kind: "timeout", ms: opts.timeoutMs };
      const e = err as { message?: string; cause?: { code?: string; message?: string } };
      return { kind: "network", message: e.cause?.code ?? e.cause?.message ?? e.message ?? String(err) };
    }
  }

  return Object.assign(get, { close: () => agent.close() });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the URL";
  }
}

/** The body as text, or null when it is longer than `max` bytes (then the rest is not read). */
async function readLimited(res: Response, max: number): Promise<string | null> {
  if (!res.body) return "";
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
