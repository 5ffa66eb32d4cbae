import { describe, expect, it } from "vitest";
import type { AdjustmentRequest, ReconcileSums } from "../storage/reconciliation-store.js";
import { decide, requestOfOrder, rollupDelta, type ConversionState } from "./apply-adjustment.js";
import { reconciliationReport } from "./report.js";
import { validateAdjustment, validateOrder } from "./validate-order.js";

const now = Date.UTC(2026, 2, 10, 12);
const ctx = { workspaceId: "ws_1", currency: "USD", now };
const good = { order_id: "A-1", time: "2026-03-01T10:00:00Z", value: 70, status: "completed" };

describe("validateOrder", () => {
  it("cleans a good row", () => {
    expect(validateOrder({ ...good, currency: "eur", status: " Refunded", order_id: 1001 }, ctx)).toEqual({
      ok: true,
      value: {
        workspaceId: "ws_1",
        orderId: "1001",
        eventName: "Purchase",
        time: Date.UTC(2026, 2, 1, 10),
        value: 70,
        currency: "EUR",
        status: "refunded",
      },
    });
  });
  it.each([
    ["not an object", [1], "invalid_event", undefined],
    ["no order id", { ...good, order_id: "" }, "missing_field", "order_id"],
    ["an object as order id", { ...good, order_id: {} }, "invalid_field", "order_id"],
    ["no time", { ...good, time: undefined }, "missing_field", "time"],
    ["a time without zone", { ...good, time: "2026-03-01 10:00" }, "invalid_field", "time"],
    ["a future time", { ...good, time: "2027-01-01T00:00:00Z" }, "invalid_field", "time"],
    ["a text value", { ...good, value: "70" }, "invalid_field", "value"],
    ["a negative value", { ...good, value: -1 }, "invalid_field", "value"],
    ["no value", { ...good, value: null }, "missing_field", "value"],
    ["an unknown status", { ...good, status: "shipped" }, "invalid_field", "status"],
    ["no status", { ...good, status: undefined }, "missing_field", "status"],
    ["an unknown currency", { ...good, currency: "ZZZ" }, "invalid_field", "currency"],
    ["a bad event name", { ...good, event_name: "9 lives" }, "invalid_field", "event_name"],
    ["a NUL", { ...good, order_id: "A\u0000" }, "invalid_field", "order_id"],
  ])("rejects %s", (_what, raw, code, field) => {
    const r = validateOrder(raw, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.field).toBe(field);
    }
  });
});

describe("validateAdjustment", () => {
  it.each([
    [{ order_id: "A-1", type: "retract" }, "ok"],
    [{ conversion_id: "evt_0123456789abcdefghijklmnop", type: "restate", value: 5 }, "ok"],
    [{ type: "retract" }, "missing_field order_id"],
    [
      { order_id: "A", conversion_id: "evt_0123456789abcdefghijklmnop", type: "retract" },
      "invalid_field conversion_id",
    ],
    [{ conversion_id: "nope", type: "retract" }, "invalid_field conversion_id"],
    [{ order_id: "A", type: "delete" }, "invalid_field type"],
    [{ order_id: "A" }, "missing_field type"],
    [{ order_id: "A", type: "restate" }, "missing_field value"],
    [{ order_id: "A", type: "retract", value: 3 }, "invalid_field value"],
    [{ order_id: "A", type: "restate", value: 3, currency: "EURO" }, "invalid_field currency"],
    [{ order_id: "A", type: "restate", value: 3, time: "soon" }, "invalid_field time"],
  ])("%j → %s", (raw, expected) => {
    const r = validateAdjustment(raw, { workspaceId: "ws_1", now });
    expect(r.ok ? "ok" : `${r.code} ${r.field}`).toBe(expected);
  });
});

const conv: ConversionState = {
  id: "evt_1",
  eventName: "Purchase",
  eventTime: now - 86_400_000,
  receivedAt: now - 86_400_000,
  orderId: "A-1",
  value: 100,
  currency: "USD",
  retracted: false,
};
const req = (over: Partial<AdjustmentRequest>): AdjustmentRequest => ({
  workspaceId: "ws_1",
  conversionId: null,
  orderId: "A-1",
  eventName: null,
  type: "restate",
  value: 100,
  currency: null,
  at: now,
  source: "api",
  ...over,
});

describe("decide", () => {
  it.each([
    ["retract", conv, req({ type: "retract", value: null }), "apply retracted"],
    ["retract twice", { ...conv, retracted: true }, req({ type: "retract", value: null }), "none"],
    ["same value", conv, req({ value: 100.004 }), "none"],
    ["another value", conv, req({ value: 70 }), "apply 70"],
    ["another currency", conv, req({ value: 100, currency: "EUR" }), "apply 100"],
    ["restate a retracted one by hand", { ...conv, retracted: true }, req({ value: 70 }), "invalid type"],
    [
      "restate a retracted one from the CRM",
      { ...conv, retracted: true },
      req({ value: 70, source: "crm" }),
      "none",
    ],
    ["before the conversion", conv, req({ value: 70, at: conv.eventTime - 1 }), "invalid time"],
    ["a conversion without value", { ...conv, value: null }, req({ value: 70 }), "apply 70"],
  ])("%s", (_what, c, r, expected) => {
    const d = decide(c, r);
    const got =
      d.kind === "none"
        ? "none"
        : d.kind === "invalid"
          ? `invalid ${d.field}`
          : `apply ${d.next.retracted ? "retracted" : String(d.next.value)}`;
    expect(got).toBe(expected);
  });

  it("maps CRM statuses to adjustments", () => {
    const o = {
      workspaceId: "ws_1",
      orderId: "A-1",
      eventName: "Purchase",
      time: now,
      value: 5,
      currency: "USD",
    };
    expect(requestOfOrder({ ...o, status: "refunded" }, now).type).toBe("retract");
    expect(requestOfOrder({ ...o, status: "cancelled" }, now).type).toBe("retract");
    expect(requestOfOrder({ ...o, status: "completed" }, now)).toMatchObject({
      type: "restate",
      value: 5,
      source: "crm",
    });
  });

  it("moves the rollups: a retraction takes the conversion and its value, a restatement the difference", () => {
    const c = { rollups: null as never, currencyOf: () => "USD" };
    const before = { value: 100, currency: "USD", retracted: false };
    expect(rollupDelta(before, { ...before, retracted: true }, "ws", c)).toEqual({
      conversions: -1,
      value: -100,
    });
    expect(rollupDelta(before, { ...before, value: 70 }, "ws", c)).toEqual({ conversions: 0, value: -30 });
    expect(rollupDelta(before, { ...before, currency: "EUR" }, "ws", c)).toEqual({
      conversions: 0,
      value: -100,
    });
  });
});

describe("reconciliationReport", () => {
  const sums = (slice: number, over: Partial<ReconcileSums>): ReconcileSums => ({
    slice,
    platform: null,
    crmOrders: 0,
    crmValue: 0,
    matchedOrders: 0,
    matchedCrmValue: 0,
    matchedTrackedValue: 0,
    missingOrders: 0,
    missingValue: 0,
    mismatchOrders: 0,
    mismatchDifference: 0,
    refundedOrders: 0,
    refundedValue: 0,
    trackedConversions: 0,
    trackedValue: 0,
    unconfirmedConversions: 0,
    unconfirmedValue: 0,
    ...over,
  });
  const slice = (iso: string) => Math.floor(Date.parse(iso) / 900_000);

  it("puts each slice in its month of the workspace's timezone", () => {
    const r = reconciliationReport(
      [
        // 23:30 UTC on Mar 31 is April 1 in Berlin.
        sums(slice("2026-03-31T23:30:00Z"), { crmOrders: 2, matchedOrders: 1, crmValue: 30 }),
        sums(slice("2026-03-15T10:00:00Z"), { crmOrders: 4, matchedOrders: 4, crmValue: 40 }),
      ],
      { groupBy: "month", timezone: "Europe/Berlin", eventName: "Purchase", currency: "EUR" },
    );
    expect(r.rows.map((x) => [x.key, x.crm.orders, x.match_rate])).toEqual([
      ["2026-03", 4, 1],
      ["2026-04", 2, 0.5],
    ]);
    expect(r).toMatchObject({ crm: { orders: 6, value: 70 }, match_rate: 0.833333 });
  });

  it("answers null rates without orders and no rows without data", () => {
    const r = reconciliationReport([], {
      groupBy: "day",
      timezone: "UTC",
      eventName: "Purchase",
      currency: "USD",
    });
    expect(r).toMatchObject({ match_rate: null, rows: [] });
  });
});
