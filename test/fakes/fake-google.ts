/**
 * A fake Google Ads ConversionUploadService (platform-apis.md §2):
 * `POST /v{N}/customers/{cid}:uploadClickConversions` with `Authorization: Bearer`,
 * `developer-token`, `partialFailure: true`, 1…2000 conversions; each checked for the
 * resource name, `yyyy-mm-dd hh:mm:ss±hh:mm`, one click id, ≤ 5 identifiers of one kind each
 * in 64-hex (else INVALID_SHA256_FORMAT), a consent value. Bad or poisoned rows fail alone
 * in `partialFailureError`; an order id already taken answers as Google does for duplicates.
 * `POST /token` plays the OAuth refresh.
 */
import { FakeServer, HEX64, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";
import { handleAdjustments, type AdjustmentBook } from "./fake-google-adjustments.js";

const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;
const ACTION = /^customers\/(\d{10})\/conversionActions\/\d+$/;

export interface FakeGoogleOptions {
  developerToken?: string;
  /** Access tokens accepted (a refresh adds the one it issues). */
  accessTokens?: string[];
  refreshToken?: string;
  /** Where conversion adjustments are kept (fake-google-adjustments.ts); one is made when absent. */
  adjustments?: AdjustmentBook;
}

function rpcError(
  status: number,
  code: string,
  message: string,
  errors: Record<string, unknown>[] = [],
  details: Record<string, unknown> = {},
): FakeAnswer {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: code,
        details: [
          {
            "@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure",
            errors,
            requestId: "req-1",
            ...details,
          },
        ],
      },
    },
  };
}

interface RowError {
  index: number;
  code: string;
  field: string;
  message: string;
}

function checkConversion(c: unknown, index: number, cid: string): RowError | null {
  const err = (code: string, field: string, message: string): RowError => ({ index, code, field, message });
  if (!isObject(c)) return err("INVALID_ARGUMENT", "conversion", "not an object");
  const action = typeof c.conversionAction === "string" ? ACTION.exec(c.conversionAction) : null;
  if (!action)
    return err("INVALID_CONVERSION_ACTION", "conversion_action", "conversionAction is not a resource name");
  if (action[1] !== cid)
    return err("NO_CONVERSION_ACTION_FOUND", "conversion_action", "the action belongs to another customer");
  if (typeof c.conversionDateTime !== "string" || !DATE_TIME.test(c.conversionDateTime))
    return err(
      "INVALID_CONVERSION_DATE_TIME",
      "conversion_date_time",
      "conversionDateTime must be yyyy-mm-dd hh:mm:ss+hh:mm",
    );
  const clicks = ["gclid", "gbraid", "wbraid"].filter((k) => c[k] !== undefined);
  if (clicks.length > 1) return err("MULTIPLE_CLICK_IDS", clicks[1]!, "send one of gclid, gbraid, wbraid");
  const ids = c.userIdentifiers;
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length > 5)
      return err("TOO_MANY_USER_IDENTIFIERS", "user_identifiers", "at most 5 identifiers");
    for (const id of ids) {
      if (!isObject(id)) return err("INVALID_ARGUMENT", "user_identifiers", "identifier is not an object");
      const set = ["hashedEmail", "hashedPhoneNumber"].filter((k) => id[k] !== undefined);
      const other = Object.keys(id).filter(
        (k) => !["hashedEmail", "hashedPhoneNumber", "userIdentifierSource"].includes(k),
      );
      if (set.length !== 1 || other.length > 0)
        return err(
          "INVALID_USER_IDENTIFIER",
          "user_identifiers",
          "exactly one of hashedEmail, hashedPhoneNumber",
        );
      if (!HEX64.test(String(id[set[0]!])))
        return err("INVALID_SHA256_FORMAT", "user_identifiers", "the value is not a SHA-256 hex digest");
    }
  }
  if (clicks.length === 0 && (!Array.isArray(ids) || ids.length === 0))
    return err("MISSING_CLICK_ID_OR_IDENTIFIERS", "gclid", "no click id and no identifiers");
  const consent = c.consent;
  if (
    consent !== undefined &&
    (!isObject(consent) ||
      !["GRANTED", "DENIED", "UNSPECIFIED", "UNKNOWN"].includes(String(consent.adUserData)))
  )
    return err("INVALID_CONSENT", "consent", "adUserData must be GRANTED or DENIED");
  if (c.conversionValue !== undefined && typeof c.conversionValue !== "number")
    return err("INVALID_VALUE", "conversion_value", "not a number");
  return null;
}

export function googleHandler(opts: FakeGoogleOptions) {
  const tokens = new Set(opts.accessTokens ?? []);
  const book = (opts.adjustments ??= { state: new Map(), accepted: [] });
  let issued = 0;
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.path === "/token") {
      const form = new URLSearchParams(req.raw);
      if (
        form.get("grant_type") !== "refresh_token" ||
        !form.get("client_id") ||
        !form.get("client_secret")
      ) {
        fake.problem("token request without grant_type=refresh_token, client_id, client_secret");
        return { status: 400, body: { error: "invalid_request" } };
      }
      if (opts.refreshToken && form.get("refresh_token") !== opts.refreshToken)
        return { status: 400, body: { error: "invalid_grant", error_description: "Bad Request" } };
      const token = `ya29.fake-${++issued}`;
      tokens.add(token);
      return { status: 200, body: { access_token: token, expires_in: 3599, token_type: "Bearer" } };
    }
    const adj = /^\/v\d+\/customers\/(\d{10}):uploadConversionAdjustments$/.exec(req.path);
    if (req.method === "POST" && adj) {
      // The conversions this account holds, by the order id they were uploaded with.
      for (const a of fake.accepted)
        if (!book.state.has(a.id))
          book.state.set(a.id, {
            retracted: false,
            value: typeof a.event.conversionValue === "number" ? a.event.conversionValue : null,
            lastRestatement: null,
          });
      return handleAdjustments(req, fake, adj[1]!, book);
    }
    const m = /^\/v\d+\/customers\/(\d{10}):uploadClickConversions$/.exec(req.path);
    if (req.method !== "POST" || !m) {
      fake.problem(`unexpected ${req.method} ${req.path}`);
      return rpcError(404, "NOT_FOUND", "Method not found.");
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer || (tokens.size > 0 && !tokens.has(bearer))) {
      fake.problem("missing or unknown access token");
      return rpcError(401, "UNAUTHENTICATED", "Request is missing required authentication credential.", [
        { errorCode: { authenticationError: "AUTHENTICATION_ERROR" } },
      ]);
    }
    if (
      !req.headers["developer-token"] ||
      (opts.developerToken && req.headers["developer-token"] !== opts.developerToken)
    ) {
      fake.problem("missing or wrong developer-token");
      return rpcError(403, "PERMISSION_DENIED", "The developer token is not valid.", [
        { errorCode: { authorizationError: "DEVELOPER_TOKEN_PROHIBITED" } },
      ]);
    }
    const body = isObject(req.body) ? req.body : null;
    if (!body || body.partialFailure !== true) {
      fake.problem("partialFailure must be true");
      return rpcError(400, "INVALID_ARGUMENT", "partial_failure must be true", [
        { errorCode: { requestError: "INVALID_INPUT" } },
      ]);
    }
    const conversions = body.conversions;
    if (!Array.isArray(conversions) || conversions.length === 0) {
      fake.problem("conversions must be a non-empty array");
      return rpcError(400, "INVALID_ARGUMENT", "conversions is required", [
        { errorCode: { requestError: "REQUIRED_FIELD_MISSING" } },
      ]);
    }
    if (conversions.length > 2000) {
      fake.problem(`${conversions.length} conversions (limit 2000)`);
      return rpcError(400, "INVALID_ARGUMENT", "Upload fewer than 2001 conversions.", [
        { errorCode: { conversionUploadError: "TOO_MANY_CONVERSIONS_IN_REQUEST" } },
      ]);
    }
    const validateOnly = body.validateOnly === true;
    const errors: RowError[] = [];
    const results: Record<string, unknown>[] = [];
    conversions.forEach((c, index) => {
      const e = checkConversion(c, index, m[1]!);
      if (e) {
        fake.problem(`conversions[${index}]: ${e.code} ${e.message}`);
        errors.push(e);
        results.push({});
        return;
      }
      const conv = c as Record<string, unknown>;
      const id = String(conv.orderId);
      if (fake.poisoned.has(id)) {
        errors.push({
          index,
          code: "UNPARSEABLE_GCLID",
          field: "gclid",
          message: "The gclid could not be decoded.",
        });
        results.push({});
        return;
      }
      if (
        !validateOnly &&
        fake.accepted.some((a) => a.id === id && a.event.conversionAction === conv.conversionAction)
      ) {
        errors.push({
          index,
          code: "ORDER_ID_ALREADY_IN_USE",
          field: "order_id",
          message: "This order id was already used.",
        });
        results.push({});
        return;
      }
      if (!validateOnly) fake.accepted.push({ id, event: conv, request: req });
      results.push({
        gclid: conv.gclid,
        conversionAction: conv.conversionAction,
        conversionDateTime: conv.conversionDateTime,
      });
    });
    if (validateOnly)
      return { status: 200, body: errors.length ? { partialFailureError: failure(errors) } : {} };
    return {
      status: 200,
      body: {
        results,
        jobId: "123456789",
        ...(errors.length ? { partialFailureError: failure(errors) } : {}),
      },
    };
  };
}

function failure(errors: RowError[]) {
  return {
    code: 3,
    message: errors.map((e) => `${e.message}, at conversions[${e.index}].${e.field}`).join("; "),
    details: [
      {
        "@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure",
        errors: errors.map((e) => ({
          errorCode: { conversionUploadError: e.code },
          message: e.message,
          location: {
            fieldPathElements: [{ fieldName: "conversions", index: e.index }, { fieldName: e.field }],
          },
        })),
        requestId: "req-1",
      },
    ],
  };
}

export async function startFakeGoogle(opts: FakeGoogleOptions = {}): Promise<FakeServer> {
  return new FakeServer("google_ads", googleHandler(opts)).listen();
}

/** Google's short-term throttling: 429 RESOURCE_EXHAUSTED with a retryDelay, no Retry-After. */
export function googleRateLimited(retryDelay = "1s") {
  return {
    kind: "answer" as const,
    answer: rpcError(429, "RESOURCE_EXHAUSTED", "Too many requests.", [
      {
        errorCode: { quotaError: "RESOURCE_TEMPORARILY_EXHAUSTED" },
        details: { quotaErrorDetails: { rateScope: "DEVELOPER", rateName: "Requests", retryDelay } },
      },
    ]),
  };
}
