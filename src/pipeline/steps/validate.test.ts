/** validateEvent's bad input for ids: control characters (they travel on in HTTP headers). */
import { describe, expect, it } from "vitest";
import { standardActions } from "../../domain/workspace.js";
import { validateEvent, type ValidateContext } from "./validate.js";

const now = Date.now();
const ctx: ValidateContext = {
  actions: new Map(standardActions().map((a) => [a.name, a])),
  receivedAt: now,
  maxAgeDays: 7,
  maxFutureMinutes: 10,
  eventTimeOptional: false,
};
const lead = (extra: Record<string, unknown>) => ({
  event_name: "Lead",
  event_time: Math.floor(now / 1000),
  ...extra,
});

describe("event_id and order_id", () => {
  it.each([
    ["CR LF", "order-1\r\nX-Injected: 1"],
    ["LF", "a\nb"],
    ["tab", "a\tb"],
    ["NUL", "a\u0000b"],
    ["DEL", "a\u007fb"],
    ["C1 NEL", "a\u0085b"],
    ["escape", "\u001b[31m"],
  ])("with a %s control character are rejected with invalid_field", (_name, id) => {
    const byEventId = validateEvent(lead({ event_id: id }), ctx);
    expect(byEventId).toMatchObject({ ok: false, code: "invalid_field", field: "event_id" });
    const byOrderId = validateEvent(lead({ custom_data: { order_id: id } }), ctx);
    expect(byOrderId).toMatchObject({ ok: false, code: "invalid_field", field: "custom_data.order_id" });
  });

  it.each([["order-1001"], ["Zürich 42 · #7"], ["emoji 🛒"], ["a b"], ["1001"]])("%j is fine", (id) => {
    expect(validateEvent(lead({ event_id: id, custom_data: { order_id: id } }), ctx).ok).toBe(true);
  });
});

describe("event_id and order_id length", () => {
  it.each([
    [128, true],
    [129, false],
  ])("%i characters: accepted %s", (n, ok) => {
    const id = "x".repeat(n);
    expect(validateEvent(lead({ event_id: id }), ctx).ok).toBe(ok);
    const byOrderId = validateEvent(lead({ custom_data: { order_id: id } }), ctx);
    expect(byOrderId.ok).toBe(ok);
    if (!ok) expect(byOrderId).toMatchObject({ code: "invalid_field", field: "custom_data.order_id" });
  });
});

describe("the order of the checks: an event with several faults is refused for the first", () => {
  const bad = {
    event_name: "Purchase",
    event_time: "soon",
    event_id: {},
    action_source: "web",
    event_source_url: 5,
    user_data: { email: 5 },
    custom_data: { value: "x" },
    consent: { analytics: "maybe" },
  };
  const fixed: [string, unknown][] = [
    ["event_time", Math.floor(now / 1000)],
    ["event_id", "e1"],
    ["action_source", "website"],
    ["event_source_url", "https://shop.example/"],
    ["user_data", {}],
    ["custom_data", {}],
    ["consent", {}],
  ];
  it.each(fixed.map((_, i) => [fixed[i]![0], i] as const))("%s is next", (field, i) => {
    const raw: Record<string, unknown> = { ...bad };
    for (const [k, v] of fixed.slice(0, i)) raw[k] = v;
    const r = validateEvent(raw, ctx);
    expect(r.ok ? null : r.field?.split(".")[0]).toBe(field);
  });

  it("a NUL anywhere comes before everything, and a missing required field after everything", () => {
    expect(validateEvent({ ...bad, custom_data: { note: "a\u0000" } }, ctx)).toMatchObject({
      field: "custom_data.note",
    });
    const valid = Object.fromEntries(fixed);
    expect(validateEvent({ ...valid, event_name: "Purchase" }, ctx)).toMatchObject({
      code: "missing_field",
      field: "custom_data.value",
    });
  });
});
