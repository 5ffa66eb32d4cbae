/**
 * Pieces every route schema uses: the error object (a shared component), who may call
 * (OpenAPI security requirements, also read by the schema gate in server.ts), error responses
 * generated from the error catalogue, and the query parameters several routes share.
 */
import { ERRORS, type ErrorCode } from "../../domain/errors.js";
import type { SchemaObject } from "./validator.js";

/** `{"error": {"code", "message", "details"?}}`: every 4xx and 5xx answer. */
/** Traffic quality's decision (docs/quality.md): `{score, flags}`. */
export const QUALITY_OUT = {
  type: ["object", "null"],
  description: "Traffic quality: score 0–100 (100 = clean) and the flags set; null when none was decided.",
  properties: {
    score: { type: "integer" },
    flags: {
      type: "array",
      items: {
        type: "string",
        enum: ["bot", "too_fast", "click_flood", "conversion_burst", "datacenter_ip"],
      },
    },
  },
  examples: [{ score: 30, flags: ["bot"] }],
} as const;

export const ErrorSchema = {
  $id: "Error",
  title: "Error",
  description:
    "Every error Tally answers, whatever the endpoint. `code` is stable and meant for programs " +
    "(the list is in docs/errors.md); `message` is for people and may change; `details` says " +
    "more when there is more to say, usually `field`: the body field or query parameter at fault.",
  type: "object",
  required: ["error"],
  additionalProperties: false,
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      additionalProperties: false,
      properties: {
        code: {
          type: "string",
          pattern: "^[a-z][a-z0-9_]*$",
          description: "snake_case; one of the codes of docs/errors.md.",
          examples: ["validation_failed"],
        },
        message: { type: "string", description: "A sentence a person can act on." },
        details: {
          type: "object",
          description: "More about the error, such as `field` (the field at fault) or `limit`.",
          properties: { field: { type: "string" } },
        },
      },
    },
  },
  examples: [
    {
      error: {
        code: "validation_failed",
        message: "`currency` must be a 3-letter ISO-4217 code such as USD.",
        details: { field: "currency" },
      },
    },
  ],
} as const;

/** Components.securitySchemes of the document. */
export const SECURITY_SCHEMES = {
  secretKey: {
    type: "http",
    scheme: "bearer",
    description:
      "A workspace's secret key (`sk_` and 32–64 of `A-Za-z0-9_-`) as `Authorization: Bearer sk_…`: " +
      "everything about that workspace. The admin token (or a dashboard session) acts on a workspace " +
      "named by the `X-Tally-Workspace: <id>` header. A public key here is `403 key_not_allowed`.",
  },
  adminToken: {
    type: "http",
    scheme: "bearer",
    description:
      "The instance's admin token (`TALLY_ADMIN_TOKEN`, or generated on first start) as " +
      "`Authorization: Bearer <token>`: instance administration.",
  },
  publicKey: {
    type: "apiKey",
    in: "query",
    name: "k",
    description:
      "A workspace's public key (`pk_` and 16–64 of `A-Za-z0-9_-`), as `?k=pk_…` or, for " +
      "`POST /t/collect`, as `k` in the body. It can write events, never read.",
  },
  dashboardSession: {
    type: "apiKey",
    in: "cookie",
    name: "tally_session",
    description:
      "The dashboard's session cookie from `POST /v1/session`; it acts as the admin. Every " +
      "state-changing call also needs the session's CSRF token as `X-CSRF-Token`.",
  },
  liveToken: {
    type: "apiKey",
    in: "query",
    name: "token",
    description:
      "For `GET /v1/live` (browsers cannot set headers on a WebSocket): the secret key as " +
      "`?token=`, or as `Sec-WebSocket-Protocol: tally, <key>`.",
  },
} as const;

type Security = readonly Record<string, readonly string[]>[];
/** A workspace's secret key (or the admin acting on a workspace). */
export const SECRET: Security = [{ secretKey: [] }, { dashboardSession: [] }];
/** The admin token or a dashboard session. */
export const ADMIN: Security = [{ adminToken: [] }, { dashboardSession: [] }];
/** A workspace's public key (browser collection). */
export const PUBLIC: Security = [{ publicKey: [] }];
/** No key. */
export const OPEN: Security = [];

export const AUTH_ERRORS: readonly ErrorCode[] = [
  "missing_key",
  "unknown_key",
  "key_not_allowed",
  "csrf_failed",
  "rate_limited",
];
/** What any JSON body can fail with before the route looks at it. */
export const BODY_ERRORS: readonly ErrorCode[] = [
  "invalid_json",
  "invalid_utf8",
  "invalid_body",
  "nesting_too_deep",
  "body_too_large",
  "unsupported_media_type",
];
/** A secret-key route: its key's errors, and `not_found` for an unknown `X-Tally-Workspace`. */
export const SECRET_ERRORS: readonly ErrorCode[] = [...AUTH_ERRORS, "not_found", "not_ready"];

/** `$ref` to the shared error object with a description listing the codes of one status. */
export function errorResponses(codes: readonly ErrorCode[]): Record<string, SchemaObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of new Set(codes)) {
    const s = ERRORS[c].status;
    byStatus.set(s, [...(byStatus.get(s) ?? []), c]);
  }
  const out: Record<string, SchemaObject> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0]))
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERRORS[c].message}`).join(" "),
      $ref: "Error#",
    };
  return out;
}

/** A 2xx JSON answer plus the error answers, as Fastify's `response` schema. */
export function responses(
  ok: Record<string, SchemaObject>,
  codes: readonly ErrorCode[],
): Record<string, SchemaObject> {
  return { ...ok, ...errorResponses(codes) };
}

/** A query time: `from` inclusive, `to` exclusive. */
export function timeQuery(description: string): SchemaObject {
  return {
    type: "string",
    description: `${description} Unix seconds or ISO-8601 with a zone; empty means the default.`,
    examples: ["2026-11-29T00:00:00Z", "1764374400"],
  };
}

/**
 * A query parameter that takes one of `values`; empty means `def`. Repeating a parameter is
 * `invalid_query` everywhere (the gate sees a list where a string is expected).
 */
export function enumQuery(values: readonly string[], def: string, description: string): SchemaObject {
  return {
    type: "string",
    enum: ["", ...values],
    default: def,
    description: `${description} Default \`${def}\` (also when empty).`,
  };
}

export function intQuery(min: number, max: number, def: number, description: string): SchemaObject {
  return {
    type: "string",
    description: `${description} A whole number from ${min} to ${max}; default ${def}.`,
    examples: [String(def)],
  };
}

/** An object of documented fields where other fields are ignored. */
export function object(properties: Record<string, SchemaObject>, extra: SchemaObject = {}): SchemaObject {
  return { type: "object", properties, ...extra };
}

/** ISO-8601 UTC with milliseconds, as every time Tally answers. */
export const ISO_OUT: SchemaObject = {
  type: "string",
  format: "date-time",
  examples: ["2026-11-29T14:33:31.123Z"],
};

export const NULLABLE_STRING: SchemaObject = { type: ["string", "null"] };
export const RATIO: SchemaObject = {
  type: ["number", "null"],
  description: "null when the denominator is 0.",
};

export type { SchemaObject } from "./validator.js";
