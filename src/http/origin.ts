/**
 * The `Origin` a browser sends: `null`, or a scheme, host and optional port in ASCII (RFC 6454
 * serialization). Only such a value is echoed in `Access-Control-Allow-Origin`: anything else
 * (a list from repeated headers, bytes beyond ASCII, a path, kilobytes of text) comes from a
 * client that is not a browser, and echoing it would only make the answer itself malformed.
 */
const SERIALIZED_ORIGIN = /^[a-z][a-z0-9+.-]{0,30}:\/\/[\x21-\x2e\x30-\x7e]{1,300}$/i;

/** The request's origin when it is one a browser could have sent; otherwise null. */
export function browserOrigin(origin: string | string[] | undefined): string | null {
  if (typeof origin !== "string") return null;
  return origin === "null" || SERIALIZED_ORIGIN.test(origin) ? origin : null;
}
