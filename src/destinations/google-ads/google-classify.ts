/**
 * Reading Google Ads answers. A 200 may carry `partialFailureError`: its errors point at the
 * failed rows through `location.fieldPathElements` (`conversions`, index), every other row
 * was taken. A conversion Google already has (same order id or click and time) counts as
 * delivered: that is what a re-send after a crash looks like. Quota errors (429
 * RESOURCE_EXHAUSTED) are retried no sooner than their `retryDelay`.
 */
import { parseDuration, parseRetryAfter } from "../backoff.js";
import { classifyStatus, excerpt, isRetryableStatus, jsonOf } from "../http-status.js";
import type { BatchOutcome, HttpAnswer, RowOutcome } from "../types.js";

/** The conversion is already recorded: the goal of the delivery is met. */
const ALREADY_THERE = new Set([
  "CLICK_CONVERSION_ALREADY_EXISTS",
  "ORDER_ID_ALREADY_IN_USE",
  "DUPLICATE_ORDER_ID",
  "DUPLICATE_CLICK_CONVERSION_IN_REQUEST",
  // Adjustments (§A1): the retraction or this restatement is already there.
  "CONVERSION_ALREADY_RETRACTED",
  "RESTATEMENT_ALREADY_EXISTS",
  "MORE_RECENT_RESTATEMENT_FOUND",
]);
/** Sent correctly, nothing for Google to attribute it to ("safe to ignore"). */
const UNMATCHED = new Set(["CLICK_NOT_FOUND"]);
/** Errors that go away with time. */
const LATER = new Set([
  "TOO_RECENT_EVENT",
  "TOO_RECENT_CONVERSION_ACTION",
  "CONVERSION_ACTION_TOO_RECENT",
  // An adjustment of a conversion less than 24 hours old.
  "TOO_RECENT_CONVERSION",
]);
const TRANSIENT = new Set([
  "INTERNAL_ERROR",
  "TRANSIENT_ERROR",
  "CONCURRENT_MODIFICATION",
  "RESOURCE_TEMPORARILY_EXHAUSTED",
  "DEADLINE_EXCEEDED",
]);
/** Google asks to retry "in 6 hours" after a too recent click or action; an hour keeps trying. */
const LATER_MS = 60 * 60_000;

interface GoogleError {
  errorCode?: Record<string, unknown>;
  message?: unknown;
  location?: { fieldPathElements?: { fieldName?: unknown; index?: unknown }[] };
}

function errorsOf(failure: unknown): GoogleError[] {
  if (failure === null || typeof failure !== "object") return [];
  const details = (failure as { details?: unknown }).details;
  if (!Array.isArray(details)) return [];
  const out: GoogleError[] = [];
  for (const d of details) {
    const errs = d !== null && typeof d === "object" ? (d as { errors?: unknown }).errors : undefined;
    if (Array.isArray(errs))
      for (const e of errs) if (e !== null && typeof e === "object") out.push(e as GoogleError);
  }
  return out;
}

function codeOf(e: GoogleError): string {
  const values = Object.values(e.errorCode ?? {}).filter((v): v is string => typeof v === "string");
  return values[0] ?? "UNKNOWN";
}

function rowIndex(e: GoogleError): number | null {
  const first = e.location?.fieldPathElements?.[0];
  return first &&
    (first.fieldName === "conversions" || first.fieldName === "conversion_adjustments") &&
    typeof first.index === "number"
    ? first.index
    : null;
}

/** The longest `retryDelay` anywhere in a failure (quotaErrorDetails, google.rpc.RetryInfo). */
export function retryDelayOf(value: unknown, depth = 0): number | undefined {
  if (value === null || typeof value !== "object" || depth > 8) return undefined;
  let best: number | undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = k === "retryDelay" ? parseDuration(v) : retryDelayOf(v, depth + 1);
    if (found !== undefined && (best === undefined || found > best)) best = found;
  }
  return best;
}

function rowOutcome(errors: GoogleError[]): RowOutcome {
  const codes = errors.map(codeOf);
  const message = `Google ${codes.join(", ")}: ${excerpt(errors.map((e) => (typeof e.message === "string" ? e.message : "")).join("; "))}`;
  if (codes.every((c) => ALREADY_THERE.has(c))) return { status: "delivered", code: 200, note: message };
  if (codes.every((c) => UNMATCHED.has(c) || ALREADY_THERE.has(c)))
    return { status: "delivered", code: 200, note: message };
  if (codes.some((c) => TRANSIENT.has(c))) return { status: "retry", code: 200, error: message };
  if (codes.some((c) => LATER.has(c)))
    return { status: "retry", code: 200, error: message, retryAfterMs: LATER_MS };
  return { status: "failed", code: 200, error: message };
}

/**
 * @example
 * // 200 with partialFailureError on conversions[1]: row 0 delivered, row 1 failed
 * classifyGoogleResponse(res, 2); // { kind: "rows", rows: [{ status: "delivered", … }, { status: "failed", error: "Google NO_CONVERSION_ACTION_FOUND: …" }] }
 */
export function classifyGoogleResponse(
  res: HttpAnswer & { kind: "response" },
  count: number,
  now = Date.now(),
): BatchOutcome {
  const body = jsonOf(res.text);
  if (res.status >= 200 && res.status < 300) {
    const failure =
      body !== null && typeof body === "object"
        ? (body as { partialFailureError?: unknown }).partialFailureError
        : undefined;
    const errors = errorsOf(failure);
    const rows: RowOutcome[] = Array.from({ length: count }, () => ({
      status: "delivered" as const,
      code: res.status,
    }));
    if (failure === undefined || failure === null) return { kind: "rows", rows };
    const byRow = new Map<number, GoogleError[]>();
    for (const e of errors) {
      const i = rowIndex(e);
      if (i === null || i < 0 || i >= count) {
        // An error Google did not tie to a row: nothing tells which conversions it concerns.
        return {
          kind: "failed",
          code: res.status,
          error: `Google partial failure without a row: ${excerpt(JSON.stringify(failure))}`,
          isolate: true,
        };
      }
      byRow.set(i, [...(byRow.get(i) ?? []), e]);
    }
    if (byRow.size === 0) {
      const msg = (failure as { message?: unknown }).message;
      return {
        kind: "failed",
        code: res.status,
        error: `Google partial failure: ${typeof msg === "string" ? excerpt(msg) : "no detail"}`,
        isolate: true,
      };
    }
    for (const [i, errs] of byRow) rows[i] = rowOutcome(errs);
    return { kind: "rows", rows };
  }

  const err =
    body !== null && typeof body === "object"
      ? (body as { error?: { status?: unknown; message?: unknown } }).error
      : undefined;
  if (!err) return classifyStatus(res, "Google Ads", null, now);
  const status = typeof err.status === "string" ? err.status : String(res.status);
  const codes = errorsOf(err).map(codeOf);
  const error = `Google Ads ${status}${codes.length ? ` (${codes.join(", ")})` : ""}: ${excerpt(typeof err.message === "string" ? err.message : "")}`;
  if (
    isRetryableStatus(res.status) ||
    status === "RESOURCE_EXHAUSTED" ||
    status === "UNAVAILABLE" ||
    status === "INTERNAL"
  ) {
    const header = parseRetryAfter(res.headers["retry-after"], now);
    const delay = retryDelayOf(err);
    const retryAfterMs =
      header === undefined ? delay : delay === undefined ? header : Math.max(header, delay);
    return retryAfterMs === undefined
      ? { kind: "retry", code: res.status, error }
      : { kind: "retry", code: res.status, error, retryAfterMs };
  }
  return {
    kind: "failed",
    code: res.status,
    error,
    isolate: status === "INVALID_ARGUMENT" || res.status === 400,
  };
}
