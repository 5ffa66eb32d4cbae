/**
 * The logger. Requests are not logged one by one (the hot path); errors are, with the
 * request's method and path only. Redaction is the last line of defence: the pipeline never
 * hands the logger an email, phone or IP in the first place.
 *
 * Redaction works at any depth: every logged object (and the bindings of child loggers) is
 * walked, and any property whose name is a sensitive one (compared without case, `-` or `_`:
 * `client_ip_address`, `clientIpAddress` and `Client-IP-Address` are one name) is replaced
 * by `[redacted]`, however deep it sits, in arrays too. Errors are serialized first, so their
 * own properties are walked as well; other class instances (a request) keep their serializers.
 */
import pino, { type Logger, type DestinationStream } from "pino";

export const CENSOR = "[redacted]";

/** Property names never logged, normalized (lower case, letters and digits only). */
export const SENSITIVE_KEYS = new Set(
  [
    "authorization",
    "cookie",
    "set-cookie",
    "x-forwarded-for",
    "x-csrf-token",
    "csrf_token",
    "email",
    "em",
    "phone",
    "ph",
    "client_ip_address",
    "ip",
    "remoteAddress",
    "access_token",
    "secret",
    "secret_key",
    "token",
    "admin_token",
    "developer_token",
    "client_secret",
    "refresh_token",
    "password",
    "api_key",
    "smtp_url",
    "database_url",
  ].map(normalizeKey),
);

function normalizeKey(k: string): string {
  return k.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Nesting past this depth is cut (a log line is no place for a whole document). */
const MAX_DEPTH = 32;

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of `value` with every sensitive property censored, at any depth. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  let source: object = value;
  if (value instanceof Error) source = pino.stdSerializers.err(value);
  else if (!Array.isArray(value) && !isPlain(value)) return value;
  seen.add(value);
  try {
    if (Array.isArray(source)) return source.map((v) => redactDeep(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source))
      out[k] = SENSITIVE_KEYS.has(normalizeKey(k)) ? CENSOR : redactDeep(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: "tally" },
      formatters: {
        log: (obj) => redactDeep(obj) as Record<string, unknown>,
        bindings: (b) => redactDeep(b) as Record<string, unknown>,
      },
      serializers: {
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          path: req.url?.split("?")[0],
        }),
      },
    },
    destination,
  );
  // pino formats a child's bindings without `formatters.bindings`: censor them on the way in.
  // Children inherit this `child` from their parent, so grandchildren are covered too.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each child's own `this` below
  const original = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return original.call(this, redactDeep(bindings) as typeof bindings, options);
  } as Logger["child"];
  return logger;
}
