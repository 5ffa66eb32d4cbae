import { describe, expect, it } from "vitest";
import { parseConfig, type GoogleAdsConfig } from "../config-schema.js";
import { NOW, ctx, hashedUser, storedEvent, vectorsOf } from "../testing/stored-event.js";
import {
  buildGoogleRequest,
  googleDateTime,
  prepareGoogleConversion,
  VALIDATE_ONLY,
  type GoogleClickConversion,
} from "./google-payload.js";

const config = (extra: Record<string, unknown> = {}) => {
  const r = parseConfig("google_ads", {
    customer_id: "123-456-7890",
    developer_token: "dev",
    access_token: "ya29.a",
    conversion_actions: { Purchase: "customers/1234567890/conversionActions/555", Lead: "556" },
    ...extra,
  });
  if (!r.ok) throw new Error(r.message);
  return r.config as GoogleAdsConfig;
};

function item(p: ReturnType<typeof prepareGoogleConversion>): GoogleClickConversion {
  if (!p.ok) throw new Error(p.error);
  return p.item;
}

describe("googleDateTime", () => {
  it.each([
    [Date.UTC(2026, 0, 2, 3, 4, 5, 678), "2026-01-02 03:04:05+00:00"],
    [Date.UTC(2025, 11, 31, 23, 59, 59), "2025-12-31 23:59:59+00:00"],
  ])("%s → %s", (ms, out) => expect(googleDateTime(ms)).toBe(out));
});

describe("prepareGoogleConversion", () => {
  it("builds a click conversion with the gclid, Google's email hash, the phone with +, and consent", () => {
    const ev = storedEvent();
    expect(item(prepareGoogleConversion(ev, config(), ctx()))).toEqual({
      conversionAction: "customers/1234567890/conversionActions/555",
      conversionDateTime: googleDateTime(NOW - 60_000),
      gclid: "G-1",
      conversionValue: 99.99,
      currencyCode: "USD",
      orderId: "order-1001",
      userIdentifiers: [
        { hashedEmail: ev.user.em_google, userIdentifierSource: "FIRST_PARTY" },
        { hashedPhoneNumber: ev.user.ph, userIdentifierSource: "FIRST_PARTY" },
      ],
      consent: { adUserData: "GRANTED" },
    });
  });

  it("completes a bare action id with the customer id", () => {
    expect(
      item(prepareGoogleConversion(storedEvent({ eventName: "Lead" }), config(), ctx())).conversionAction,
    ).toBe("customers/1234567890/conversionActions/556");
  });

  it.each(vectorsOf("google", "hashed_email"))("email vector $raw", (v) => {
    const ev = storedEvent({ user: hashedUser({ email: v.raw }) });
    expect(item(prepareGoogleConversion(ev, config(), ctx())).userIdentifiers?.[0]?.hashedEmail).toBe(
      v.sha256,
    );
  });

  it.each(vectorsOf("google", "hashed_phone_number"))("phone vector $raw ($country_default)", (v) => {
    const ev = storedEvent({ user: hashedUser({ phone: v.raw, country: v.country_default }) });
    expect(item(prepareGoogleConversion(ev, config(), ctx())).userIdentifiers?.[0]?.hashedPhoneNumber).toBe(
      v.sha256,
    );
  });

  it("sends one click id, preferring gclid, then gbraid, then wbraid", () => {
    const both = item(
      prepareGoogleConversion(storedEvent({ user: { gbraid: "GB", wbraid: "WB" } }), config(), ctx()),
    );
    expect(both.gbraid).toBe("GB");
    expect(both).not.toHaveProperty("wbraid");
  });

  it("without consent: only with a click id, DENIED, no identifiers", () => {
    const denied = item(prepareGoogleConversion(storedEvent(), config(), ctx({ userData: false })));
    expect(denied.consent).toEqual({ adUserData: "DENIED" });
    expect(denied).not.toHaveProperty("userIdentifiers");
    expect(denied.gclid).toBe("G-1");
    const noClick = storedEvent({ user: hashedUser({ email: "a@b.example" }) });
    expect(prepareGoogleConversion(noClick, config(), ctx({ userData: false }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no consent/),
    });
  });

  it("refuses what Google cannot match or has no action for", () => {
    expect(prepareGoogleConversion(storedEvent({ user: {} }), config(), ctx())).toMatchObject({
      ok: false,
      error: expect.stringMatching(/nothing Google can match/),
    });
    expect(prepareGoogleConversion(storedEvent({ eventName: "Contact" }), config(), ctx())).toMatchObject({
      ok: false,
    });
  });

  it("leaves value out when there is none, and groups test events for validateOnly", () => {
    const p = prepareGoogleConversion(
      storedEvent({ value: null, currency: null }),
      config(),
      ctx({ testEventCode: "T" }),
    );
    expect(p).toMatchObject({ ok: true, group: VALIDATE_ONLY });
    expect(item(p)).not.toHaveProperty("conversionValue");
  });
});

describe("buildGoogleRequest", () => {
  it("posts to :uploadClickConversions with the tokens and partialFailure", () => {
    const c = item(prepareGoogleConversion(storedEvent(), config(), ctx()));
    const req = buildGoogleRequest(
      [c],
      config({ login_customer_id: "999-888-7777", endpoint: "http://127.0.0.1:9" }),
      "",
      { nowSeconds: 0 },
    );
    expect(req.url).toBe("http://127.0.0.1:9/v23/customers/1234567890:uploadClickConversions");
    expect(req.headers).toMatchObject({
      authorization: "Bearer ya29.a",
      "developer-token": "dev",
      "login-customer-id": "9998887777",
    });
    expect(JSON.parse(req.body)).toEqual({ conversions: [c], partialFailure: true });
    expect(
      JSON.parse(
        buildGoogleRequest([c], config(), VALIDATE_ONLY, { nowSeconds: 0, accessToken: "fresh" }).body,
      ),
    ).toMatchObject({ validateOnly: true });
    expect(
      buildGoogleRequest([c], config(), "", { nowSeconds: 0, accessToken: "fresh" }).headers.authorization,
    ).toBe("Bearer fresh");
  });
});
