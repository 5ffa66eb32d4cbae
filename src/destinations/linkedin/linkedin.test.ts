import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../domain/time.js";
import { parseConfig, type LinkedInConfig } from "../config-schema.js";
import { NOW, ctx, hashedUser, storedEvent, vectorsOf } from "../testing/stored-event.js";
import type { HttpAnswer } from "../types.js";
import { classifyLinkedInResponse } from "./linkedin-classify.js";
import {
  buildLinkedInRequest,
  prepareLinkedInEvent,
  type LinkedInConversionEvent,
} from "./linkedin-payload.js";

const config = (extra: Record<string, unknown> = {}) => {
  const r = parseConfig("linkedin", {
    access_token: "li",
    conversions: { Purchase: "urn:lla:llaPartnerConversion:42" },
    ...extra,
  });
  if (!r.ok) throw new Error(r.message);
  return r.config as LinkedInConfig;
};
function item(p: ReturnType<typeof prepareLinkedInEvent>): LinkedInConversionEvent {
  if (!p.ok) throw new Error(p.error);
  return p.item;
}
const res = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpAnswer & { kind: "response" } => ({
  kind: "response",
  status,
  headers,
  text: body === undefined ? "" : JSON.stringify(body),
});

describe("prepareLinkedInEvent", () => {
  it("builds a conversion event: epoch ms, amount as a string, hashed email and li_fat_id", () => {
    const ev = storedEvent();
    expect(item(prepareLinkedInEvent(ev, config(), ctx()))).toEqual({
      conversion: "urn:lla:llaPartnerConversion:42",
      conversionHappenedAt: NOW - 60_000,
      conversionValue: { currencyCode: "USD", amount: "99.99" },
      eventId: "order-1001",
      user: {
        userIds: [
          { idType: "SHA256_EMAIL", idValue: ev.user.em },
          { idType: "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", idValue: "L-1" },
        ],
        externalIds: ["crm-77"],
      },
    });
  });

  it.each(vectorsOf("linkedin", "SHA256_EMAIL"))("email vector $raw", (v) => {
    const ev = storedEvent({ user: hashedUser({ email: v.raw }) });
    expect(item(prepareLinkedInEvent(ev, config(), ctx())).user.userIds[0]).toEqual({
      idType: "SHA256_EMAIL",
      idValue: v.sha256,
    });
  });

  it.each([
    ["no consent", storedEvent(), ctx({ userData: false }), /no consent/],
    ["older than 90 days", storedEvent({ eventTime: NOW - 91 * DAY_MS }), ctx(), /older than 90 days/],
    [
      "nothing to match",
      storedEvent({ user: { client_user_agent: "x" } }),
      ctx(),
      /nothing LinkedIn can match/,
    ],
    ["no conversion rule", storedEvent({ eventName: "Lead" }), ctx(), /no LinkedIn conversion rule/],
  ])("skips an event: %s", (_n, ev, c, re) => {
    expect(prepareLinkedInEvent(ev, config(), c)).toMatchObject({
      ok: false,
      error: expect.stringMatching(re),
    });
  });

  it("replaces a dedup id longer than LinkedIn's 64 characters by its SHA-256", () => {
    const long = "x".repeat(65);
    expect(item(prepareLinkedInEvent(storedEvent(), config(), ctx({ dedupId: long }))).eventId).toMatch(
      /^[a-f0-9]{64}$/,
    );
    expect(
      item(prepareLinkedInEvent(storedEvent(), config(), ctx({ dedupId: "y".repeat(64) }))).eventId,
    ).toBe("y".repeat(64));
  });

  it("leaves the value out without a currency", () => {
    expect(item(prepareLinkedInEvent(storedEvent({ currency: null }), config(), ctx()))).not.toHaveProperty(
      "conversionValue",
    );
  });
});

describe("buildLinkedInRequest", () => {
  it("is a Rest.li BATCH_CREATE with the version headers", () => {
    const e = item(prepareLinkedInEvent(storedEvent(), config(), ctx()));
    const req = buildLinkedInRequest([e], config({ version: "202511" }), "");
    expect(req.url).toBe("https://api.linkedin.com/rest/conversionEvents");
    expect(req.headers).toMatchObject({
      authorization: "Bearer li",
      "linkedin-version": "202511",
      "x-restli-protocol-version": "2.0.0",
      "x-restli-method": "BATCH_CREATE",
    });
    expect(JSON.parse(req.body)).toEqual({ elements: [e] });
  });
});

describe("classifyLinkedInResponse", () => {
  it("reads one status per element", () => {
    const out = classifyLinkedInResponse(
      res(200, {
        elements: [
          { status: 201 },
          { status: 400, error: { message: "Conversion's method should be CONVERSIONS_API" } },
          { status: 409 },
          { status: 429 },
          { status: 500 },
        ],
      }),
      6,
    );
    expect(out).toMatchObject({
      kind: "rows",
      rows: [
        { status: "delivered", code: 201 },
        { status: "failed", code: 400, error: expect.stringMatching(/CONVERSIONS_API/) },
        { status: "delivered", code: 409 },
        { status: "retry", code: 429 },
        { status: "retry", code: 500 },
        { status: "retry", code: null },
      ],
    });
  });

  it.each([
    [res(201, undefined), "rows"],
    [
      res(401, {
        status: 401,
        serviceErrorCode: 65600,
        code: "INVALID_ACCESS_TOKEN",
        message: "Invalid access token",
      }),
      "failed",
    ],
    [
      res(422, { status: 422, message: "Index: 0, ERROR :: /conversionValue/amount :: field is required" }),
      "failed",
    ],
    [res(429, { status: 429 }), "retry"],
    [res(503, "unavailable"), "retry"],
  ])("request level %#", (r, kind) => {
    expect(classifyLinkedInResponse(r, 1).kind).toBe(kind);
  });

  it("names LinkedIn's code; a token error is not isolated, a 422 is", () => {
    expect(
      classifyLinkedInResponse(
        res(401, { status: 401, code: "INVALID_ACCESS_TOKEN", message: "Invalid access token" }),
        2,
      ),
    ).toMatchObject({
      kind: "failed",
      isolate: false,
      error: "LinkedIn answered 401: INVALID_ACCESS_TOKEN: Invalid access token",
    });
    expect(classifyLinkedInResponse(res(422, { status: 422, message: "bad" }), 2)).toMatchObject({
      kind: "failed",
      isolate: true,
    });
  });
});
