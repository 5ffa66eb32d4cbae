import { describe, expect, it } from "vitest";
import { parseConfig, type TikTokConfig } from "../config-schema.js";
import { NOW, ctx, hashedUser, storedEvent, vectorsOf } from "../testing/stored-event.js";
import type { HttpAnswer } from "../types.js";
import { classifyTikTokResponse } from "./tiktok-classify.js";
import {
  buildTikTokRequest,
  prepareTikTokEvent,
  tiktokEventName,
  type TikTokEvent,
} from "./tiktok-payload.js";

const config = (extra: Record<string, unknown> = {}) => {
  const r = parseConfig("tiktok", { pixel_code: "CPIX", access_token: "tt", ...extra });
  if (!r.ok) throw new Error(r.message);
  return r.config as TikTokConfig;
};
function item(p: ReturnType<typeof prepareTikTokEvent>): TikTokEvent {
  if (!p.ok) throw new Error(p.error);
  return p.item;
}
const res = (status: number, body: unknown): HttpAnswer & { kind: "response" } => ({
  kind: "response",
  status,
  headers: {},
  text: JSON.stringify(body),
});

describe("tiktokEventName", () => {
  it.each([
    ["Purchase", {}, "CompletePayment"],
    ["SubmitApplication", {}, "SubmitForm"],
    ["Lead", {}, "Lead"],
    ["StartTrial", {}, "StartTrial"],
    ["Purchase", { Purchase: "PlaceAnOrder" }, "PlaceAnOrder"],
  ])("%s with %j → %s", (name, map, out) => expect(tiktokEventName(name, { event_map: map })).toBe(out));
});

describe("prepareTikTokEvent", () => {
  it("builds an event: unix seconds, hashed identifiers, plain ip/ua/ttclid, properties", () => {
    const ev = storedEvent();
    expect(item(prepareTikTokEvent(ev, config(), ctx()))).toEqual({
      event: "CompletePayment",
      event_time: Math.floor((NOW - 60_000) / 1000),
      event_id: "order-1001",
      user: {
        email: ev.user.em,
        phone: ev.user.ph,
        external_id: expect.stringMatching(/^[a-f0-9]{64}$/),
        ttclid: "T-1",
        ip: "203.0.113.9",
        user_agent: "Mozilla/5.0",
      },
      page: { url: "https://shop.example/thanks" },
      properties: { value: 99.99, currency: "USD", order_id: "1001" },
    });
  });

  it.each(vectorsOf("tiktok", "email"))("email vector $raw", (v) => {
    expect(
      item(prepareTikTokEvent(storedEvent({ user: hashedUser({ email: v.raw }) }), config(), ctx())).user
        ?.email,
    ).toBe(v.sha256);
  });
  it.each(vectorsOf("tiktok", "phone"))("phone vector $raw ($country_default)", (v) => {
    expect(
      item(
        prepareTikTokEvent(
          storedEvent({ user: hashedUser({ phone: v.raw, country: v.country_default }) }),
          config(),
          ctx(),
        ),
      ).user?.phone,
    ).toBe(v.sha256);
  });
  it.each(vectorsOf("tiktok", "external_id"))("external_id vector $raw", (v) => {
    expect(
      item(prepareTikTokEvent(storedEvent({ user: { external_id: v.raw } }), config(), ctx())).user
        ?.external_id,
    ).toBe(v.sha256);
  });

  it("goes without user data when there is no consent, and groups test events by code", () => {
    const p = prepareTikTokEvent(
      storedEvent(),
      config(),
      ctx({ userData: false, clientIp: null, testEventCode: "TT1" }),
    );
    expect(p).toMatchObject({ ok: true, group: "TT1" });
    expect(item(p)).not.toHaveProperty("user");
  });

  it("passes TikTok's content properties from custom_data", () => {
    const ev = storedEvent({
      customData: { contents: [{ content_id: "sku-1", quantity: 2 }], content_type: "product", variant: "B" },
    });
    expect(item(prepareTikTokEvent(ev, config(), ctx())).properties).toEqual({
      contents: [{ content_id: "sku-1", quantity: 2 }],
      content_type: "product",
      value: 99.99,
      currency: "USD",
      order_id: "1001",
    });
  });
});

describe("buildTikTokRequest", () => {
  it("posts with Access-Token (not Bearer), the pixel as event_source_id, the test code", () => {
    const e = item(prepareTikTokEvent(storedEvent(), config(), ctx()));
    const req = buildTikTokRequest([e], config(), "TT1");
    expect(req.url).toBe("https://business-api.tiktok.com/open_api/v1.3/event/track/");
    expect(req.headers).toEqual({ "content-type": "application/json", "access-token": "tt" });
    expect(JSON.parse(req.body)).toEqual({
      event_source: "web",
      event_source_id: "CPIX",
      test_event_code: "TT1",
      data: [e],
    });
  });
});

describe("classifyTikTokResponse", () => {
  it.each([
    [res(200, { code: 0, message: "OK" }), "rows"],
    [res(200, { code: 20001, message: "partial" }), "rows"],
    [res(200, { code: 40100, message: "Too many requests" }), "retry"],
    [res(200, { code: 51000, message: "internal" }), "retry"],
    [res(200, { code: 40001, message: "no permission" }), "failed"],
    [res(200, { code: 40002, message: "invalid" }), "failed"],
    [res(503, {}), "retry"],
    [{ kind: "response" as const, status: 200, headers: {}, text: "<html>" }, "retry"],
  ])("%#: %j", (r, kind) => expect(classifyTikTokResponse(r, 2).kind).toBe(kind));

  it("isolates an invalid parameter, not a permission error", () => {
    expect(classifyTikTokResponse(res(200, { code: 40002, message: "x" }), 2)).toMatchObject({
      isolate: true,
    });
    expect(classifyTikTokResponse(res(200, { code: 40001, message: "x" }), 2)).toMatchObject({
      isolate: false,
    });
  });
});
