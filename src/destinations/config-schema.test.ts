import { describe, expect, it } from "vitest";
import {
  DESTINATION_TYPES,
  eventMaps,
  mappedEvents,
  parseConfig,
  publicConfig,
  urlFields,
  type DestinationType,
} from "./config-schema.js";

describe("parseConfig", () => {
  it("fills the defaults of every type", () => {
    const r = parseConfig("meta", { pixel_id: "123", access_token: "t" });
    expect(r).toEqual({
      ok: true,
      config: {
        type: "meta",
        endpoint: null,
        max_attempts: 20,
        retry_base_ms: 1000,
        timeout_ms: 10_000,
        pixel_id: "123",
        access_token: "t",
        api_version: "v24.0",
        test_event_code: null,
        event_map: {},
        app_secret: null,
      },
    });
  });

  it("normalizes Google ids and completes bare action ids", () => {
    const r = parseConfig("google_ads", {
      customer_id: "123-456-7890",
      login_customer_id: "111-222-3333",
      developer_token: "d",
      access_token: "a",
      conversion_actions: { Purchase: "987", Lead: "customers/1234567890/conversionActions/5" },
    });
    expect(r).toMatchObject({
      ok: true,
      config: {
        customer_id: "1234567890",
        login_customer_id: "1112223333",
        conversion_actions: {
          Purchase: "customers/1234567890/conversionActions/987",
          Lead: "customers/1234567890/conversionActions/5",
        },
      },
    });
  });

  it("strips a trailing slash from endpoint", () => {
    expect(
      parseConfig("tiktok", { pixel_code: "C", access_token: "t", endpoint: "http://127.0.0.1:9/" }),
    ).toMatchObject({ config: { endpoint: "http://127.0.0.1:9" } });
  });

  it("re-reads its own output (sealed configs are parsed again when loaded)", () => {
    for (const [type, raw] of [
      ["meta", { pixel_id: "1", access_token: "t" }],
      [
        "google_ads",
        {
          customer_id: "1234567890",
          developer_token: "d",
          client_id: "c",
          client_secret: "s",
          refresh_token: "r",
          conversion_actions: { Purchase: "1" },
        },
      ],
      ["linkedin", { access_token: "t", conversions: { Purchase: "urn:lla:llaPartnerConversion:1" } }],
      ["tiktok", { pixel_code: "C", access_token: "t" }],
      ["webhook", { url: "https://h.example/x", secret: "0123456789abcdef" }],
    ] as [DestinationType, Record<string, unknown>][]) {
      const first = parseConfig(type, raw);
      if (!first.ok) throw new Error(first.message);
      expect(parseConfig(type, JSON.parse(JSON.stringify(first.config)))).toEqual(first);
    }
  });

  it.each([
    ["meta", null, "config"],
    ["meta", [], "config"],
    ["meta", { pixel_id: 123, access_token: "t" }, "config.pixel_id"],
    ["meta", { pixel_id: "1", access_token: "t", api_version: "24" }, "config.api_version"],
    ["meta", { pixel_id: "1", access_token: "t", event_map: { Purchase: 5 } }, "config.event_map"],
    ["meta", { pixel_id: "1", access_token: "t", retry_base_ms: 1.5 }, "config.retry_base_ms"],
    ["meta", { pixel_id: "1", access_token: "   " }, "config.access_token"],
    [
      "google_ads",
      { customer_id: "1234567890", developer_token: "d", access_token: "a", conversion_actions: {} },
      "config.conversion_actions",
    ],
    [
      "google_ads",
      {
        customer_id: "1234567890",
        developer_token: "d",
        access_token: "a",
        conversion_actions: { Purchase: "customers/9/conversionActions/1" },
      },
      "config.conversion_actions",
    ],
    [
      "google_ads",
      {
        customer_id: "1234567890",
        developer_token: "d",
        access_token: "a",
        login_customer_id: "12",
        conversion_actions: { Purchase: "1" },
      },
      "config.login_customer_id",
    ],
    [
      "linkedin",
      { access_token: "t", conversions: { Purchase: "urn:lla:llaPartnerConversion:1" }, version: "2026-03" },
      "config.version",
    ],
    ["tiktok", { pixel_code: "bad code!", access_token: "t" }, "config.pixel_code"],
    ["webhook", { url: "https://h.example", secret: "short" }, "config.secret"],
  ] as [DestinationType, unknown, string][])("%s %j → %s", (type, raw, field) => {
    expect(parseConfig(type, raw)).toMatchObject({ ok: false, field });
  });
});

describe("publicConfig", () => {
  it.each([
    ["meta", { pixel_id: "1", access_token: "SECRET", app_secret: "SECRET" }],
    [
      "google_ads",
      {
        customer_id: "1234567890",
        developer_token: "SECRET",
        client_id: "c",
        client_secret: "SECRET",
        refresh_token: "SECRET",
        conversion_actions: { Purchase: "1" },
      },
    ],
    ["linkedin", { access_token: "SECRET", conversions: { Purchase: "urn:lla:llaPartnerConversion:1" } }],
    ["tiktok", { pixel_code: "C", access_token: "SECRET" }],
    ["webhook", { url: "https://h.example/x?key=SECRET", secret: "SECRET-0123456789" }],
  ] as [DestinationType, Record<string, unknown>][])("%s shows no secret", (type, raw) => {
    const r = parseConfig(type, raw);
    if (!r.ok) throw new Error(r.message);
    expect(JSON.stringify(publicConfig(r.config))).not.toContain("SECRET");
  });
});

describe("mappedEvents", () => {
  it("restricts Google and LinkedIn to their mapped events", () => {
    const g = parseConfig("google_ads", {
      customer_id: "1234567890",
      developer_token: "d",
      access_token: "a",
      conversion_actions: { Lead: "1" },
    });
    const m = parseConfig("meta", { pixel_id: "1", access_token: "t" });
    if (!g.ok || !m.ok) throw new Error("bad fixture");
    expect(mappedEvents(g.config)).toEqual(["Lead"]);
    expect(mappedEvents(m.config)).toBeNull();
  });
});

describe("the registry", () => {
  const minimal: Record<DestinationType, Record<string, unknown>> = {
    meta: { pixel_id: "1", access_token: "t", event_map: { Purchase: "Purchase" } },
    google_ads: {
      customer_id: "1234567890",
      developer_token: "d",
      access_token: "a",
      conversion_actions: { Lead: "1" },
      token_endpoint: "https://oauth.example/token",
    },
    linkedin: { access_token: "t", conversions: { Lead: "urn:lla:llaPartnerConversion:1" } },
    tiktok: { pixel_code: "C", access_token: "t" },
    webhook: { url: "https://h.example/x", secret: "0123456789abcdef", endpoint: "https://e.example" },
  };

  it("has a config for every type", () => {
    expect(Object.keys(minimal).sort()).toEqual([...DESTINATION_TYPES].sort());
  });

  it.each([
    ["meta", [], [["event_map", { Purchase: "Purchase" }]]],
    [
      "google_ads",
      [["token_endpoint", "https://oauth.example/token"]],
      [["conversion_actions", { Lead: "customers/1234567890/conversionActions/1" }]],
    ],
    ["linkedin", [], [["conversions", { Lead: "urn:lla:llaPartnerConversion:1" }]]],
    ["tiktok", [], [["event_map", {}]]],
    [
      "webhook",
      [
        ["endpoint", "https://e.example"],
        ["url", "https://h.example/x"],
      ],
      [],
    ],
  ] as [DestinationType, unknown[], unknown[]][])(
    "%s: its URLs and event maps by field",
    (type, urls, maps) => {
      const r = parseConfig(type, minimal[type]);
      if (!r.ok) throw new Error(r.message);
      expect(urlFields(r.config)).toEqual(urls);
      expect(eventMaps(r.config)).toEqual(maps);
    },
  );

  it("names the settings of the type when a key is unknown", () => {
    expect(parseConfig("linkedin", { access_token: "t", pixel_id: "1" })).toEqual({
      ok: false,
      field: "config.pixel_id",
      message:
        "`config.pixel_id` is not a linkedin setting; settings are endpoint, max_attempts, retry_base_ms, timeout_ms, access_token, conversions, version.",
    });
  });
});
