/**
 * Google Ads ConversionAdjustmentUploadService as a fake (platform-apis-decisions.md §A1,
 * copied to test/fixtures/google-ads-adjustments.md): `POST /v{N}/customers/{cid}:uploadConversionAdjustments`
 * with `partialFailure: true` (else PARTIAL_FAILURE_MODE_REQUIRED), 1…2000 adjustments; each
 * `RETRACTION` or `RESTATEMENT` with a resource name, `adjustmentDateTime` as
 * `yyyy-mm-dd hh:mm:ss±hh:mm` (after the conversion), `orderId` or `gclidDateTimePair` (not
 * both), `restatementValue {adjustedValue, currencyCode}` for a restatement only. The
 * conversion must have been uploaded (CONVERSION_NOT_FOUND), not be retracted
 * (CONVERSION_ALREADY_RETRACTED); a restatement not newer than the last one is ignored as
 * Google does (a duplicate). Row errors at `conversion_adjustments[i]`, results `{}` for them.
 */
import type { FakeAnswer, FakeRequest, FakeServer } from "./fake-server.js";
import { isObject } from "./fake-server.js";

const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;
const ACTION = /^customers\/(\d{10})\/conversionActions\/\d+$/;

/** What the fake's account holds of each uploaded conversion (by order id). */
export interface AdjustedState {
  retracted: boolean;
  value: number | null;
  lastRestatement: string | null;
}

export interface AdjustmentBook {
  /** Order id → state; filled from the conversions the fake accepted. */
  state: Map<string, AdjustedState>;
  /** Adjustments accepted, in order. */
  accepted: Record<string, unknown>[];
}

const toMs = (s: string) => Date.parse(s.replace(" ", "T"));

interface RowError {
  index: number;
  code: string;
  message: string;
}

function failure(errors: RowError[]) {
  return {
    code: 3,
    message: errors.map((e) => `${e.message}, at conversion_adjustments[${e.index}]`).join("; "),
    details: [
      {
        "@type": "type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure",
        errors: errors.map((e) => ({
          errorCode: { conversionAdjustmentUploadError: e.code },
          message: e.message,
          location: { fieldPathElements: [{ fieldName: "conversion_adjustments", index: e.index }] },
        })),
        requestId: "req-adj",
      },
    ],
  };
}

/** Answers one upload; `book.state` must hold the conversions the account has (by order id). */
export function handleAdjustments(
  req: FakeRequest,
  fake: FakeServer,
  cid: string,
  book: AdjustmentBook,
): FakeAnswer {
  const body = isObject(req.body) ? req.body : null;
  if (!body || body.partialFailure !== true) {
    fake.problem("partialFailure must be true");
    return {
      status: 400,
      body: { error: { code: 400, status: "INVALID_ARGUMENT", message: "PARTIAL_FAILURE_MODE_REQUIRED" } },
    };
  }
  const list = body.conversionAdjustments;
  if (!Array.isArray(list) || list.length === 0 || list.length > 2000) {
    fake.problem("conversionAdjustments must hold 1 to 2000 adjustments");
    return {
      status: 400,
      body: { error: { code: 400, status: "INVALID_ARGUMENT", message: "TOO_MANY_ADJUSTMENTS_IN_REQUEST" } },
    };
  }
  const errors: RowError[] = [];
  const results: Record<string, unknown>[] = [];
  list.forEach((a, index) => {
    const bad = (code: string, message: string, problem = true) => {
      if (problem) fake.problem(`conversion_adjustments[${index}]: ${code} ${message}`);
      errors.push({ index, code, message });
      results.push({});
    };
    if (!isObject(a)) return bad("INVALID_ARGUMENT", "not an object");
    const action = typeof a.conversionAction === "string" ? ACTION.exec(a.conversionAction) : null;
    if (!action || action[1] !== cid) return bad("NO_CONVERSION_ACTION_FOUND", "conversionAction");
    if (a.adjustmentType !== "RETRACTION" && a.adjustmentType !== "RESTATEMENT")
      return bad("INVALID_ARGUMENT", "adjustmentType must be RETRACTION or RESTATEMENT");
    if (typeof a.adjustmentDateTime !== "string" || !DATE_TIME.test(a.adjustmentDateTime))
      return bad("INVALID_ARGUMENT", "adjustmentDateTime must be yyyy-mm-dd hh:mm:ss+hh:mm");
    if (a.orderId !== undefined && a.gclidDateTimePair !== undefined)
      return bad("GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET", "orderId and gclidDateTimePair");
    if (a.orderId === undefined && a.gclidDateTimePair === undefined)
      return bad("CONVERSION_NOT_FOUND", "neither orderId nor gclidDateTimePair");
    const restatement = a.restatementValue;
    if (a.adjustmentType === "RETRACTION" && restatement !== undefined)
      return bad("INVALID_ARGUMENT", "restatementValue with a RETRACTION");
    if (a.adjustmentType === "RESTATEMENT") {
      if (!isObject(restatement) || typeof restatement.adjustedValue !== "number")
        return bad("INVALID_ARGUMENT", "restatementValue.adjustedValue is required for a RESTATEMENT");
      const code = restatement.currencyCode;
      if (code !== undefined && (typeof code !== "string" || !/^[A-Z]{3}$/.test(code)))
        return bad("INVALID_ARGUMENT", "restatementValue.currencyCode must be ISO 4217");
    }
    const key = typeof a.orderId === "string" ? a.orderId : null;
    const state = key ? book.state.get(key) : undefined;
    if (!state) return bad("CONVERSION_NOT_FOUND", `no conversion with order id ${key}`, false);
    if (state.retracted) return bad("CONVERSION_ALREADY_RETRACTED", "already retracted", false);
    if (a.adjustmentType === "RETRACTION") state.retracted = true;
    else {
      // A second restatement needs a newer adjustmentDateTime, else it is a duplicate.
      if (state.lastRestatement !== null && toMs(a.adjustmentDateTime) <= toMs(state.lastRestatement))
        return bad("RESTATEMENT_ALREADY_EXISTS", "not newer than the last restatement", false);
      state.lastRestatement = a.adjustmentDateTime;
      state.value = (restatement as { adjustedValue: number }).adjustedValue;
    }
    book.accepted.push(a);
    results.push({
      orderId: a.orderId,
      conversionAction: a.conversionAction,
      adjustmentDateTime: a.adjustmentDateTime,
      adjustmentType: a.adjustmentType,
    });
  });
  return {
    status: 200,
    body: {
      results,
      jobId: "2147483650",
      ...(errors.length ? { partialFailureError: failure(errors) } : {}),
    },
  };
}
