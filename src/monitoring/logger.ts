/**
 * The logger. Requests are not logged one by one (the hot path); errors are, with the
 * request's method and path only. Redaction is the last line of defence: the pipeline never
 * hands the logger an email, phone or IP in the first place.
 */
import pino, { type Logger, type DestinationStream } from "pino";

export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-forwarded-for']",
  "*.email",
  "*.em",
  "*.phone",
  "*.ph",
  "*.client_ip_address",
  "*.ip",
  "*.remoteAddress",
  "*.access_token",
  "*.secret",
  "*.token",
  "*.developer_token",
  "*.client_secret",
  "*.refresh_token",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "tally" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: {
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          path: req.url?.split("?")[0],
        }),
      },
    },
    destination,
  );
}
