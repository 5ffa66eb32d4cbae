/**
 * Reading LinkedIn answers. A batch create answers 200 with one status per element: 201 is
 * taken, 409 means LinkedIn already has it, 429/5xx are retried, any other status refuses that
 * element only. Request-level 401/403 concern the token; 400/422 may come from one element.
 */
import { parseRetryAfter } from "../backoff.js";
import { allDelivered, classifyStatus, excerpt, isRetryableStatus, jsonOf } from "../http-status.js";
import type { BatchOutcome, HttpAnswer, RowOutcome } from "../types.js";

interface Element {
  status?: unknown;
  error?: { message?: unknown; code?: unknown };
  message?: unknown;
}

function elementOutcome(e: Element | undefined, retryAfterMs: number | undefined): RowOutcome {
  if (e === undefined)
    return { status: "retry", code: null, error: "LinkedIn answered no status for this element" };
  const status = typeof e.status === "number" ? e.status : 0;
  if (status >= 200 && status < 300) return { status: "delivered", code: status };
  if (status === 409)
    return { status: "delivered", code: status, note: "LinkedIn already has this conversion (409)" };
  const raw = e.error?.message ?? e.message;
  const error = `LinkedIn element ${status}: ${typeof raw === "string" ? excerpt(raw) : "no message"}`;
  if (isRetryableStatus(status))
    return retryAfterMs === undefined
      ? { status: "retry", code: status, error }
      : { status: "retry", code: status, error, retryAfterMs };
  return { status: "failed", code: status, error };
}

export function classifyLinkedInResponse(
  res: HttpAnswer & { kind: "response" },
  count: number,
  now = Date.now(),
): BatchOutcome {
  const body = jsonOf(res.text);
  if (res.status >= 200 && res.status < 300) {
    const elements =
      body !== null && typeof body === "object" ? (body as { elements?: unknown }).elements : undefined;
    if (!Array.isArray(elements)) return allDelivered(res.status, count);
    const retryAfterMs = parseRetryAfter(res.headers["retry-after"], now);
    return {
      kind: "rows",
      rows: Array.from({ length: count }, (_, i) =>
        elementOutcome(elements[i] as Element | undefined, retryAfterMs),
      ),
    };
  }
  const msg = body !== null && typeof body === "object" ? (body as { message?: unknown }).message : undefined;
  const code = body !== null && typeof body === "object" ? (body as { code?: unknown }).code : undefined;
  const detail =
    typeof msg === "string" ? `${typeof code === "string" ? `${code}: ` : ""}${excerpt(msg)}` : null;
  return classifyStatus(res, "LinkedIn", detail, now);
}
