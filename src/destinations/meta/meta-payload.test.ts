import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../domain/time.js";
import { parseConfig, type MetaConfig } from "../config-schema.js";
import { NOW, ctx, hashedUser, storedEvent, vectorsOf } from "../testing/stored-event.js";
import { buildMetaRequest, prepareMetaEvent, META_TOO_OLD, type MetaEvent } from "./meta-payload.js";

const config = (extra: Record<string, unknown> = {}) => {
  const r = parseConfig("meta", { pixel_id: "1234567890", access_token: "EAAB", ...extra });
  if (!r.ok) throw new Error(r.message);
  return r.config as MetaConfig;
};

function item(p: ReturnType<typeof prepareMetaEvent>): MetaEvent {
  if (!p.ok) throw new Error(p.error);
  return p.item;
}

describe("prepareMetaEvent", () => {
  it("builds a server event: unix seconds, dedup id, hashed and plain user data, custom data", () => {
    const p = prepareMetaEvent(storedEvent(), config(), ctx());
    expect(p).toMatchObject({ ok: true, group: "" });
    expect(item(p)).toEqual({
      event_name: "Purchase",
      event_time: Math.floor((NOW - 60_000) / 1000),
      action_source: "website",
      event_id: "order-1001",
      event_source_url: "https://shop.example/thanks",
      user_data: {
        em: storedEvent().user.em,
        ph: storedEvent().user.ph_digits,
        external_id: expect.stringMatching(/^[a-f0-9]{64}$/),
        client_ip_address: "203.0.113.9",
        client_user_agent: "Mozilla/5.0",
        fbp: "fb.1.1.2",
      },
      custom_data: { variant: "B", value: 99.99, currency: "USD", order_id: "1001" },
    });
  });

  it.each(vectorsOf("meta", "em"))("em vector $raw", (v) => {
    const ev = storedEvent({ user: hashedUser({ email: v.raw }) });
    expect(item(prepareMetaEvent(ev, config(), ctx())).user_data.em).toBe(v.sha256);
  });

  it.each(vectorsOf("meta", "ph"))("ph vector $raw ($country_default)", (v) => {
    const ev = storedEvent({ user: hashedUser({ phone: v.raw, country: v.country_default }) });
    expect(item(prepareMetaEvent(ev, config(), ctx())).user_data.ph).toBe(v.sha256);
  });

  it.each(vectorsOf("meta", "external_id"))("external_id vector $raw", (v) => {
    const ev = storedEvent({ user: { external_id: v.raw } });
    expect(item(prepareMetaEvent(ev, config(), ctx())).user_data.external_id).toBe(v.sha256);
  });

  it("keeps an external id that is already a SHA-256 as it is", () => {
    const h = "A".repeat(64);
    expect(
      item(prepareMetaEvent(storedEvent({ user: { external_id: h } }), config(), ctx())).user_data
        .external_id,
    ).toBe(h.toLowerCase());
  });

  it("skips an event older than 7 days (Meta refuses the whole request for one)", () => {
    const old = storedEvent({ eventTime: NOW - 7 * DAY_MS - 1 });
    expect(prepareMetaEvent(old, config(), ctx())).toEqual({ ok: false, error: META_TOO_OLD });
    const justIn = storedEvent({ eventTime: NOW - 7 * DAY_MS + 60_000 });
    expect(prepareMetaEvent(justIn, config(), ctx()).ok).toBe(true);
  });

  it("without consent sends no user data, and cannot send a website event at all", () => {
    const store = item(
      prepareMetaEvent(
        storedEvent({ actionSource: "physical_store" }),
        config(),
        ctx({ userData: false, clientIp: null }),
      ),
    );
    expect(store.user_data).toEqual({});
    const web = prepareMetaEvent(storedEvent(), config(), ctx({ userData: false, clientIp: null }));
    expect(web).toMatchObject({ ok: false, error: expect.stringMatching(/no consent/) });
  });

  it("infers the action source when the event has none", () => {
    expect(item(prepareMetaEvent(storedEvent({ actionSource: null }), config(), ctx())).action_source).toBe(
      "website",
    );
    const bare = storedEvent({ actionSource: null, eventSourceUrl: null, user: {} });
    expect(item(prepareMetaEvent(bare, config(), ctx())).action_source).toBe("other");
  });

  it("refuses a Purchase without value or currency before Meta refuses its whole batch", () => {
    expect(prepareMetaEvent(storedEvent({ value: null }), config(), ctx()).ok).toBe(false);
    expect(
      prepareMetaEvent(storedEvent({ eventName: "Lead", value: null, currency: null }), config(), ctx()).ok,
    ).toBe(true);
  });

  it("maps names with event_map and groups test events by their code", () => {
    const p = prepareMetaEvent(
      storedEvent({ eventName: "StartTrial", value: null }),
      config({ event_map: { StartTrial: "StartTrialX" } }),
      ctx({ testEventCode: "TEST1" }),
    );
    expect(p).toMatchObject({ ok: true, group: "TEST1", item: { event_name: "StartTrialX" } });
  });
});

describe("buildMetaRequest", () => {
  it("posts to /{version}/{pixel}/events with a Bearer token, the test code at the top level", () => {
    const e = item(prepareMetaEvent(storedEvent(), config(), ctx()));
    const req = buildMetaRequest([e], config({ endpoint: "http://127.0.0.1:9" }), "TEST42");
    expect(req.url).toBe("http://127.0.0.1:9/v24.0/1234567890/events");
    expect(req.headers).toMatchObject({ authorization: "Bearer EAAB", "content-type": "application/json" });
    expect(JSON.parse(req.body)).toEqual({ data: [e], test_event_code: "TEST42" });
    expect(req.url).not.toContain("EAAB");
  });

  it("uses Graph by default and adds appsecret_proof when an app secret is set", () => {
    const req = buildMetaRequest([], config({ app_secret: "s3cret", api_version: "v25.0" }), "");
    expect(req.url).toBe("https://graph.facebook.com/v25.0/1234567890/events");
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty("test_event_code");
    // HMAC-SHA256(key = app secret, message = access token)
    expect(body.appsecret_proof).toBe(createHmac("sha256", "s3cret").update("EAAB").digest("hex"));
  });
});
