/** Parsing of query parameters and request bodies into typed values or contract errors. */
import { HttpError } from "../domain/errors.js";
import { parseTime } from "../domain/time.js";

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null)
    throw new HttpError("invalid_body", "Send a JSON object body with `Content-Type: application/json`.");
  if (typeof body !== "object" || Array.isArray(body))
    throw new HttpError("invalid_body", "The body must be a JSON object.");
  return body as Record<string, unknown>;
}

export function invalid(field: string, message: string): HttpError {
  return new HttpError("validation_failed", message, { field });
}

export function query(q: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (q && typeof q === "object") {
    for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
      if (typeof v === "string") out[k] = v;
      else if (Array.isArray(v))
        throw new HttpError("invalid_query", `\`${k}\` is given more than once.`, { field: k });
    }
  }
  return out;
}

const MAX_TIME_MS = 8.64e15;

export function timeParam(q: Record<string, string | undefined>, name: string): number | null {
  const raw = q[name];
  if (raw === undefined || raw === "") return null;
  const t = parseTime(raw);
  // Beyond the range of a JS Date no time is meaningful, and no store column could hold it.
  if (t === null || t > MAX_TIME_MS)
    throw new HttpError("invalid_query", `\`${name}\` must be unix seconds or ISO-8601 with a zone.`, {
      field: name,
    });
  return t;
}

export function intParam(
  q: Record<string, string | undefined>,
  name: string,
  def: number,
  min: number,
  max: number,
): number {
  const raw = q[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpError("invalid_query", `\`${name}\` must be a whole number from ${min} to ${max}.`, {
      field: name,
    });
  return n;
}

export function enumParam<T extends string>(
  q: Record<string, string | undefined>,
  name: string,
  values: readonly T[],
  def: T,
): T {
  const raw = q[name];
  if (raw === undefined || raw === "") return def;
  if (!(values as readonly string[]).includes(raw))
    throw new HttpError("invalid_query", `\`${name}\` must be one of ${values.join(", ")}.`, { field: name });
  return raw as T;
}

export function rangeParams(q: Record<string, string | undefined>): {
  from: number | null;
  to: number | null;
} {
  const from = timeParam(q, "from");
  const to = timeParam(q, "to");
  if (from !== null && to !== null && from > to)
    throw new HttpError("invalid_query", "`from` must not be after `to`.", { field: "from" });
  return { from, to };
}

export function encodeCursor(c: { eventTime: number; id: string }): string {
  return Buffer.from(JSON.stringify([c.eventTime, c.id])).toString("base64url");
}

export function decodeCursor(raw: string | undefined): { eventTime: number; id: string } | null {
  if (raw === undefined || raw === "") return null;
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    // Only what this server issues: a whole millisecond time and a printable id.
    if (
      Array.isArray(v) &&
      Number.isSafeInteger(v[0]) &&
      (v[0] as number) >= 0 &&
      typeof v[1] === "string" &&
      /^[\x21-\x7e]{1,64}$/.test(v[1])
    )
      return { eventTime: v[0] as number, id: v[1] };
  } catch {
    // fall through
  }
  throw new HttpError("invalid_cursor", undefined, { field: "cursor" });
}

/** A string field of a body: required or optional, trimmed length-checked. */
export function stringField(
  b: Record<string, unknown>,
  name: string,
  opts: { required?: boolean; max?: number; pattern?: RegExp; hint?: string } = {},
): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) {
    if (opts.required) throw invalid(name, `\`${name}\` is required.`);
    return undefined;
  }
  if (typeof v !== "string") throw invalid(name, `\`${name}\` must be a string.`);
  if (v.includes("\u0000")) throw invalid(name, `\`${name}\` contains a NUL character (U+0000).`);
  const s = v.trim();
  if (opts.required && s === "") throw invalid(name, `\`${name}\` must not be empty.`);
  if (s.length > (opts.max ?? 256))
    throw invalid(name, `\`${name}\` is longer than ${opts.max ?? 256} characters.`);
  if (opts.pattern && !opts.pattern.test(s))
    throw invalid(name, opts.hint ?? `\`${name}\` has an invalid format.`);
  return s;
}
