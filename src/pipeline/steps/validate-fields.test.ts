/** Each field validator on its own: what it takes, and the rejection (code, field) for what it refuses. */
import { describe, expect, it } from "vitest";
import { standardActions, type ConversionAction } from "../../domain/workspace.js";
import {
  actionSourceField,
  consentField,
  currencyField,
  customDataField,
  eventNameField,
  eventSourceUrlField,
  eventTimeField,
  idField,
  missingRequired,
  userDataField,
  valueField,
  type RequiredInput,
} from "./validate-fields.js";

const NOW = Date.UTC(2026, 0, 15, 12);
const seconds = (ms: number) => Math.floor(ms / 1000);
const actions = new Map(standardActions().map((a) => [a.name, a]));

/** The part of a result a table states: the value, or the rejection's code and field. */
function outcome(r: { ok: true; value: unknown } | { ok: false; code: string; field?: string }) {
  return r.ok ? { value: r.value } : { code: r.code, field: r.field };
}

describe("eventNameField", () => {
  it.each([
    ["Purchase", { value: { name: "Purchase", action: actions.get("Purchase") } }],
    ["PageView", { value: { name: "PageView", action: null } }],
    [undefined, { code: "missing_field", field: "event_name" }],
    [null, { code: "missing_field", field: "event_name" }],
    ["", { code: "missing_field", field: "event_name" }],
    [5, { code: "invalid_field", field: "event_name" }],
    ["purchase", { code: "unknown_event_name", field: "event_name" }],
  ])("%j → %j", (v, expected) => {
    expect(outcome(eventNameField(v, actions))).toEqual(expected);
  });

  it("lists the defined names when one is unknown", () => {
    const r = eventNameField("Nope", actions);
    expect(r.ok ? "" : r.message).toMatch(/^Unknown event name "Nope"\. Defined names: Purchase, .*PageView/);
  });
});

describe("eventTimeField", () => {
  const limits = { receivedAt: NOW, maxAgeDays: 7, maxFutureMinutes: 10, eventTimeOptional: false };
  it.each([
    [seconds(NOW), { value: seconds(NOW) * 1000 }],
    ["2026-01-15T11:00:00Z", { value: NOW - 3_600_000 }],
    [seconds(NOW - 6 * 86_400_000), { value: seconds(NOW - 6 * 86_400_000) * 1000 }],
    [undefined, { code: "missing_field", field: "event_time" }],
    [null, { code: "missing_field", field: "event_time" }],
    ["yesterday", { code: "invalid_field", field: "event_time" }],
    ["2026-01-15T11:00:00", { code: "invalid_field", field: "event_time" }],
    [seconds(NOW - 8 * 86_400_000), { code: "event_too_old", field: "event_time" }],
    [seconds(NOW + 11 * 60_000), { code: "event_in_future", field: "event_time" }],
  ])("%j → %j", (v, expected) => {
    expect(outcome(eventTimeField(v, limits))).toEqual(expected);
  });

  it("takes the arrival time when the time is optional and absent", () => {
    expect(outcome(eventTimeField(undefined, { ...limits, eventTimeOptional: true }))).toEqual({
      value: NOW,
    });
  });
});

describe("idField", () => {
  it.each([
    ["order-1", { value: "order-1" }],
    [1001, { value: "1001" }],
    [undefined, { value: null }],
    [null, { value: null }],
    ["", { value: null }],
    ["x".repeat(128), { value: "x".repeat(128) }],
    ["x".repeat(129), { code: "invalid_field", field: "order_id" }],
    [Number.NaN, { code: "invalid_field", field: "order_id" }],
    [{}, { code: "invalid_field", field: "order_id" }],
    ["a\nb", { code: "invalid_field", field: "order_id" }],
    ["a\u0085b", { code: "invalid_field", field: "order_id" }],
  ])("%j → %j", (v, expected) => {
    expect(outcome(idField(v, "order_id"))).toEqual(expected);
  });
});

describe("actionSourceField and eventSourceUrlField", () => {
  it.each([
    ["website", { value: "website" }],
    [undefined, { value: null }],
    ["web", { code: "invalid_field", field: "action_source" }],
    [1, { code: "invalid_field", field: "action_source" }],
  ])("action_source %j → %j", (v, expected) => {
    expect(outcome(actionSourceField(v))).toEqual(expected);
  });

  it.each([
    ["https://shop.example/p", { value: "https://shop.example/p" }],
    [null, { value: null }],
    ["x".repeat(2049), { code: "invalid_field", field: "event_source_url" }],
    [42, { code: "invalid_field", field: "event_source_url" }],
  ])("event_source_url %j → %j", (v, expected) => {
    expect(outcome(eventSourceUrlField(v))).toEqual(expected);
  });
});

describe("userDataField", () => {
  it.each([
    [undefined, { value: {} }],
    [{ email: "a@b.example", gclid: "g", other: 5 }, { value: { email: "a@b.example", gclid: "g" } }],
    [{ external_id: 77, anonymous_id: 8, email: "" }, { value: { external_id: "77", anonymous_id: "8" } }],
    ["a@b.example", { code: "invalid_field", field: "user_data" }],
    [[], { code: "invalid_field", field: "user_data" }],
    [{ phone: 15551234567 }, { code: "invalid_field", field: "user_data.phone" }],
    [{ fbc: "x".repeat(2049) }, { code: "invalid_field", field: "user_data.fbc" }],
  ])("%j → %j", (v, expected) => {
    expect(outcome(userDataField(v))).toEqual(expected);
  });
});

describe("valueField and currencyField", () => {
  it.each([
    [10, { value: 10 }],
    ["12.50", { value: 12.5 }],
    ["-3", { value: -3 }],
    [null, { value: null }],
    ["12,50", { code: "invalid_field", field: "custom_data.value" }],
    [Number.POSITIVE_INFINITY, { code: "invalid_field", field: "custom_data.value" }],
    [2e12, { code: "invalid_field", field: "custom_data.value" }],
  ])("value %j → %j", (v, expected) => {
    expect(outcome(valueField(v))).toEqual(expected);
  });

  it.each([
    ["usd", { value: "USD" }],
    [undefined, { value: null }],
    ["US", { code: "invalid_field", field: "custom_data.currency" }],
    ["€", { code: "invalid_field", field: "custom_data.currency" }],
    [978, { code: "invalid_field", field: "custom_data.currency" }],
  ])("currency %j → %j", (v, expected) => {
    expect(outcome(currencyField(v))).toEqual(expected);
  });
});

describe("customDataField", () => {
  it.each([
    [undefined, { value: { value: null, currency: null, orderId: null, customData: {} } }],
    [
      { value: "5", currency: "eur", order_id: 9, items: 2 },
      { value: { value: 5, currency: "EUR", orderId: "9", customData: { items: 2 } } },
    ],
    ["5", { code: "invalid_field", field: "custom_data" }],
    [
      { value: "five", currency: "x" },
      { code: "invalid_field", field: "custom_data.value" },
    ],
    [
      { currency: "x", order_id: {} },
      { code: "invalid_field", field: "custom_data.currency" },
    ],
    [{ order_id: "a\tb" }, { code: "invalid_field", field: "custom_data.order_id" }],
    [
      { experiment: "checkout", variant: "B" },
      {
        value: {
          value: null,
          currency: null,
          orderId: null,
          customData: { experiment: "checkout", variant: "B" },
        },
      },
    ],
    [
      { experiment: "x".repeat(65), variant: "B" },
      { code: "invalid_field", field: "custom_data.experiment" },
    ],
    [
      { experiment: "checkout", variant: "a\u0001" },
      { code: "invalid_field", field: "custom_data.variant" },
    ],
    [{ experiment: "checkout" }, { code: "invalid_field", field: "custom_data.variant" }],
    [
      { variant: "v".repeat(80) },
      { value: { value: null, currency: null, orderId: null, customData: { variant: "v".repeat(80) } } },
    ],
  ])("%j → %j", (v, expected) => {
    expect(outcome(customDataField(v))).toEqual(expected);
  });
});

describe("consentField", () => {
  it.each([
    [undefined, { value: null }],
    [
      { ad_user_data: "granted", analytics: "denied", other: "x" },
      { value: { ad_user_data: "granted", analytics: "denied" } },
    ],
    [{}, { value: {} }],
    ["granted", { code: "invalid_field", field: "consent" }],
    [{ ad_personalization: "yes" }, { code: "invalid_field", field: "consent.ad_personalization" }],
  ])("%j → %j", (v, expected) => {
    expect(outcome(consentField(v))).toEqual(expected);
  });
});

describe("missingRequired", () => {
  const action = (required: string[]): ConversionAction => ({
    name: "Custom",
    required,
    clickWindowDays: 7,
    viewWindowDays: 1,
  });
  const event = (extra: Partial<RequiredInput> = {}): RequiredInput => ({
    eventId: null,
    orderId: null,
    value: null,
    currency: null,
    user: {},
    ...extra,
  });

  it.each([
    [["value"], event(), "custom_data.value"],
    [["value"], event({ value: 0 }), null],
    [["currency"], event(), "custom_data.currency"],
    [["order_id"], event(), "custom_data.order_id"],
    [["event_id"], event(), "event_id"],
    [["email"], event(), "user_data.email"],
    [["email"], event({ user: { em: "hash" } }), null],
    [["phone"], event({ user: { ph: "hash" } }), null],
    [["phone"], event(), "user_data.phone"],
    [["external_id"], event(), "user_data.external_id"],
    [["something_new"], event(), null],
    [["value", "currency"], event({ value: 1 }), "custom_data.currency"],
    [[], event(), null],
  ] as [string[], RequiredInput, string | null][])("%j of %j → %s", (required, e, field) => {
    const r = missingRequired("Custom", action(required), e);
    expect(r?.field ?? null).toBe(field);
    if (r) {
      expect(r.code).toBe("missing_field");
      expect(r.message).toBe(`\`${field}\` is required for Custom.`);
    }
  });

  it("a non-conversion event requires nothing", () => {
    expect(missingRequired("PageView", null, event())).toBeNull();
  });
});
