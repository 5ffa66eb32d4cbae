/**
 * The classification every platform shares for an answer it has no more specific reading
 * of: 2xx done, 408/429/5xx try again (honouring `Retry-After`), any other 4xx refused for
 * good with the reason.
 */
import { parseRetryAfter } from "./backoff.js";
import type { BatchOutcome, HttpAnswer } from "./types.js";

type Response = HttpAnswer & { kind: "response" };

/** Whether the status asks for another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** A short, single-line excerpt of a response body for `last_error`. */
export function excerpt(text: string, max = 300): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** Parses a JSON body; null when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * A non-2xx answer read by status alone. `isolate` says whether a 4xx may come from one
 * event of the request (400, 422) rather than from the destination (401, 403, 404).
 */
export function classifyStatus(
  res: Response,
  platform: string,
  detail: string | null,
  now = Date.now(),
): BatchOutcome {
  const reason = `${platform} answered ${res.status}${detail ? `: ${detail}` : res.text ? `: ${excerpt(res.text)}` : ""}`;
  if (isRetryableStatus(res.status)) {
    const retryAfterMs = parseRetryAfter(res.headers["retry-after"], now);
    return retryAfterMs === undefined
      ? { kind: "retry", code: res.status, error: reason }
      : { kind: "retry", code: res.status, error: reason, retryAfterMs };
  }
  return {
    kind: "failed",
    code: res.status,
    error: reason,
    isolate: res.status === 400 || res.status === 422,
  };
}

/** Every row of a request delivered. */
export function allDelivered(status: number, count: number): BatchOutcome {
  return {
    kind: "rows",
    rows: Array.from({ length: count }, () => ({ status: "delivered" as const, code: status })),
  };
}
