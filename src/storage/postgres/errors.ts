/**
 * Which PostgreSQL failures mean "the store is unavailable" (503 + Retry-After, readiness
 * down) and which are bugs (500). Connection loss, timeouts, a server shutting down or out of
 * connections are the former: the client should retry and the node recovers by itself.
 */

/** Thrown by every Store method while PostgreSQL cannot be reached; the HTTP layer answers 503. */
export class StoreUnavailableError extends Error {
  readonly storeUnavailable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** A group transaction found its premises changed by another node: run it again. */
export class RetryGroupError extends Error {
  override readonly name = "RetryGroupError";
}

/** SQLSTATEs after which the same work can simply be run again. */
const RETRYABLE = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected

/** SQLSTATE classes and codes that mean the server is not there (or not usable right now). */
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "53300", "53400", "57014", "55P03", "25P03"]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const NETWORK_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /query read timeout/i,
  /connection .*(closed|ended)/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /not queryable/i,
];

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryGroupError) return true;
  const c = codeOf(err);
  return c !== undefined && RETRYABLE.has(c);
}

export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const c = codeOf(err);
  if (c !== undefined && (UNAVAILABLE_CODES.has(c) || NETWORK_CODES.has(c) || c.startsWith("08")))
    return true;
  const msg = err instanceof Error ? err.message : String(err);
  return NETWORK_MESSAGES.some((re) => re.test(msg));
}

/** Rewraps an infrastructure failure as StoreUnavailableError; anything else is returned as is. */
export function classify(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`PostgreSQL is unavailable: ${msg}`, { cause: err });
}
