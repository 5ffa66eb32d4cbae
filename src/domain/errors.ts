/**
 * The error catalogue: every error code Tally answers, with its HTTP status and a default
 * message. `docs/errors.md` is kept in step with this table by a test.
 */
export const ERRORS = {
  // 400 malformed
  invalid_json: { status: 400, message: "The body is not valid JSON." },
  invalid_utf8: { status: 400, message: "The body is not valid UTF-8." },
  invalid_body: { status: 400, message: "The body does not have the expected shape." },
  nesting_too_deep: { status: 400, message: "The JSON body is nested too deeply." },
  invalid_query: { status: 400, message: "A query parameter is invalid." },
  invalid_cursor: { status: 400, message: "The cursor is not one this server issued." },
  malformed_request: { status: 400, message: "The request is not valid HTTP/1.1." },
  upgrade_required: {
    status: 400,
    message: "This endpoint is a WebSocket: connect with `Connection: Upgrade` and `Upgrade: websocket`.",
  },
  // 401 / 403
  missing_key: { status: 401, message: "Send a key as `Authorization: Bearer <key>`." },
  unknown_key: { status: 401, message: "The key is not known to this server." },
  key_not_allowed: { status: 403, message: "This key may not be used on this endpoint." },
  origin_not_allowed: { status: 403, message: "This origin is not in the workspace's allowed origins." },
  csrf_failed: { status: 403, message: "The CSRF token is missing or wrong." },
  // 404 / 409
  not_found: { status: 404, message: "Nothing is here." },
  conflict: { status: 409, message: "The request conflicts with the current state." },
  limit_reached: {
    status: 409,
    message: "The workspace has as many of these as it may; delete one before creating another.",
  },
  // 413 / 415
  body_too_large: { status: 413, message: "The body is larger than the limit." },
  batch_too_large: { status: 413, message: "The batch has more events than the limit." },
  headers_too_large: { status: 413, message: "The request's headers are larger than the limit." },
  unsupported_media_type: { status: 415, message: "Send `Content-Type: application/json`." },
  // 422 well-formed but invalid
  empty_batch: { status: 422, message: "The batch has no events." },
  validation_failed: { status: 422, message: "A field is invalid." },
  endpoint_not_allowed: {
    status: 422,
    message: "The URL must be https:// and reach a public address (unless TALLY_ALLOW_PRIVATE_ENDPOINTS=1).",
  },
  // 429 / 503
  rate_limited: {
    status: 429,
    message: "Too many requests for this key; retry after the time in `Retry-After`.",
  },
  not_ready: { status: 503, message: "The store is not reachable; retry after the time in `Retry-After`." },
  // 500: only for bugs and broken infrastructure, never for bad input
  internal_error: { status: 500, message: "Something went wrong on our side; it has been logged." },
  // 404 for unknown routes
  route_not_found: { status: 404, message: "No such endpoint." },
  method_not_allowed: { status: 405, message: "This method is not allowed on this endpoint." },
  request_timeout: { status: 408, message: "The request took too long to arrive." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Codes for one event of a batch that was refused (inside a `200` response's `results`).
 * They carry no HTTP status of their own.
 */
export const EVENT_ERRORS = {
  missing_field: "A required field is missing.",
  invalid_field: "A field has the wrong type or an invalid value.",
  unknown_event_name: "The event name is neither a conversion action nor a known non-conversion event.",
  event_too_old: "`event_time` is older than the limit.",
  event_in_future: "`event_time` is too far in the future.",
  invalid_event: "The event is not a JSON object.",
  not_found: "No conversion has this order id or conversion id (an adjustment's row; its `status_code` is 404).",
} as const;

export type EventErrorCode = keyof typeof EVENT_ERRORS;

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** An expected failure that maps to the contract's error object. Thrown only at the HTTP edge. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    details?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
    this.headers = headers;
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}
