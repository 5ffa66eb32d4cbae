/**
 * Reading Meta's answers. Meta has no per-event result: a 200 takes the whole request, an
 * error refuses the whole request. Throttling comes as HTTP 400 with codes 4/17/80003 (not
 * 429) and transient faults carry `is_transient`: both are retried. Token and permission
 * errors concern the destination, not an event; other validation errors (code 100) may come
 * from one event, so the worker isolates it.
 */
import { parseRetryAfter } from "../backoff.js";
import { allDelivered, classifyStatus, excerpt, isRetryableStatus, jsonOf } from "../http-status.js";
import type { BatchOutcome, HttpAnswer } from "../types.js";

/** Graph API codes of rate limiting (application, user, ad account, Conversions API). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80003]);
/** Codes Meta documents as temporary (unknown / service errors). */
const TRANSIENT_CODES = new Set([1, 2]);
/** Token, permission and missing-object errors: nothing an event can fix. */
const DESTINATION_CODES = new Set([10, 33, 102, 190, 200, 210, 270, 278]);

interface GraphError {
  message?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  is_transient?: unknown;
  error_user_msg?: unknown;
}

function graphError(text: string): GraphError | null {
  const j = jsonOf(text);
  if (j === null || typeof j !== "object") return null;
  const e = (j as { error?: unknown }).error;
  return e !== null && typeof e === "object" ? e : null;
}

/**
 * @example
 * classifyMetaResponse({ kind: "response", status: 400, headers: {}, text: '{"error":{"code":17,"is_transient":true,"message":"User request limit reached"}}' }, 3);
 * // { kind: "retry", code: 400, error: "Meta error 17: User request limit reached" }
 */
export function classifyMetaResponse(
  res: HttpAnswer & { kind: "response" },
  count: number,
  now = Date.now(),
): BatchOutcome {
  if (res.status >= 200 && res.status < 300) return allDelivered(res.status, count);
  const e = graphError(res.text);
  if (e === null || typeof e.code !== "number") return classifyStatus(res, "Meta", null, now);
  const code = e.code;
  const sub = typeof e.error_subcode === "number" ? `/${e.error_subcode}` : "";
  const msg =
    typeof e.error_user_msg === "string" && e.error_user_msg
      ? e.error_user_msg
      : typeof e.message === "string"
        ? e.message
        : "";
  const error = `Meta error ${code}${sub}: ${excerpt(msg)}`;
  if (
    RATE_LIMIT_CODES.has(code) ||
    TRANSIENT_CODES.has(code) ||
    e.is_transient === true ||
    isRetryableStatus(res.status)
  ) {
    const retryAfterMs = parseRetryAfter(res.headers["retry-after"], now);
    return retryAfterMs === undefined
      ? { kind: "retry", code: res.status, error }
      : { kind: "retry", code: res.status, error, retryAfterMs };
  }
  return {
    kind: "failed",
    code: res.status,
    error,
    isolate: !DESTINATION_CODES.has(code) && res.status !== 401 && res.status !== 403,
  };
}
