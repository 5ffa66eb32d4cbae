import { describe, expect, it } from "vitest";
import type { HttpAnswer } from "../types.js";
import { classifyGoogleResponse, retryDelayOf } from "./google-classify.js";

const res = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpAnswer & { kind: "response" } => ({
  kind: "response",
  status,
  headers,
  text: typeof body === "string" ? body : JSON.stringify(body),
});

function partial(errors: { index: number; code: string }[]) {
  return {
    results: [],
    partialFailureError: {
      code: 3,
      message: "…",
      details: [
        {
          "@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure",
          errors: errors.map((e) => ({
            errorCode: { conversionUploadError: e.code },
            message: `${e.code} happened`,
            location: {
              fieldPathElements: [{ fieldName: "conversions", index: e.index }, { fieldName: "gclid" }],
            },
          })),
        },
      ],
    },
  };
}

const rpc = (status: number, code: string, errors: unknown[] = []) => ({
  error: { code: status, message: "m", status: code, details: [{ errors }] },
});

describe("classifyGoogleResponse", () => {
  it("takes every row of a clean 200", () => {
    expect(classifyGoogleResponse(res(200, { results: [{}, {}], jobId: "1" }), 2)).toMatchObject({
      kind: "rows",
      rows: [{ status: "delivered" }, { status: "delivered" }],
    });
  });

  it("takes an empty validateOnly answer", () => {
    expect(classifyGoogleResponse(res(200, {}), 1)).toMatchObject({
      kind: "rows",
      rows: [{ status: "delivered" }],
    });
  });

  it("reads a partial failure row by row", () => {
    const out = classifyGoogleResponse(
      res(
        200,
        partial([
          { index: 1, code: "UNPARSEABLE_GCLID" },
          { index: 2, code: "ORDER_ID_ALREADY_IN_USE" },
          { index: 3, code: "CLICK_NOT_FOUND" },
          { index: 4, code: "TOO_RECENT_EVENT" },
          { index: 5, code: "CONCURRENT_MODIFICATION" },
        ]),
      ),
      6,
    );
    expect(out).toMatchObject({
      kind: "rows",
      rows: [
        { status: "delivered" },
        { status: "failed", error: expect.stringMatching(/UNPARSEABLE_GCLID/) },
        { status: "delivered", note: expect.stringMatching(/ORDER_ID_ALREADY_IN_USE/) },
        { status: "delivered", note: expect.stringMatching(/CLICK_NOT_FOUND/) },
        { status: "retry", retryAfterMs: 3_600_000 },
        { status: "retry" },
      ],
    });
  });

  it("fails the request (to isolate) when a partial failure names no row", () => {
    const body = {
      partialFailureError: {
        code: 3,
        message: "x",
        details: [{ errors: [{ errorCode: { requestError: "X" } }] }],
      },
    };
    expect(classifyGoogleResponse(res(200, body), 2)).toMatchObject({ kind: "failed", isolate: true });
  });

  it("retries quota errors no sooner than retryDelay or Retry-After", () => {
    const quota = rpc(429, "RESOURCE_EXHAUSTED", [
      {
        errorCode: { quotaError: "RESOURCE_TEMPORARILY_EXHAUSTED" },
        details: { quotaErrorDetails: { retryDelay: "30s" } },
      },
    ]);
    expect(classifyGoogleResponse(res(429, quota), 1, 0)).toMatchObject({
      kind: "retry",
      code: 429,
      retryAfterMs: 30_000,
    });
    expect(classifyGoogleResponse(res(429, quota, { "retry-after": "60" }), 1, 0)).toMatchObject({
      retryAfterMs: 60_000,
    });
    expect(classifyGoogleResponse(res(503, rpc(503, "UNAVAILABLE")), 1)).toMatchObject({ kind: "retry" });
  });

  it.each([
    [401, "UNAUTHENTICATED", false],
    [403, "PERMISSION_DENIED", false],
    [400, "INVALID_ARGUMENT", true],
  ])("fails for good on %s %s (isolate %s)", (status, code, isolate) => {
    expect(
      classifyGoogleResponse(
        res(status, rpc(status, code, [{ errorCode: { authenticationError: "X" } }])),
        2,
      ),
    ).toMatchObject({ kind: "failed", isolate, code: status });
  });

  it("finds retryDelay anywhere", () => {
    expect(retryDelayOf({ a: [{ b: { retryDelay: "1.5s" } }, { retryDelay: "2s" }] })).toBe(2000);
    expect(retryDelayOf({ retryDelay: "soon" })).toBeUndefined();
  });
});
