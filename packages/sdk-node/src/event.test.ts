import { describe, expect, it } from "vitest";
import { prepareEvent, type TallyEvent } from "./event.js";

const NOW = Date.parse("2026-11-29T14:33:31.123Z");

describe("prepareEvent", () => {
  it("generates an event_id and stamps event_time when missing", () => {
    const q = prepareEvent({ event_name: "Lead" }, NOW, () => "generated-id");
    expect(q.eventId).toBe("generated-id");
    expect(JSON.parse(q.json)).toEqual({
      event_name: "Lead",
      event_id: "generated-id",
      event_time: Math.floor(NOW / 1000),
    });
    expect(q.bytes).toBe(Buffer.byteLength(q.json));
  });

  it("keeps a given event_id and event_time", () => {
    const q = prepareEvent(
      { event_name: "Purchase", event_id: "order-1", event_time: "2026-11-29T14:00:00Z" },
      NOW,
    );
    expect(q.eventId).toBe("order-1");
    expect(JSON.parse(q.json).event_time).toBe("2026-11-29T14:00:00Z");
  });

  it("turns a Date into unix seconds", () => {
    const q = prepareEvent({ event_name: "Lead", event_time: new Date(NOW) }, 0);
    expect(JSON.parse(q.json).event_time).toBe(Math.floor(NOW / 1000));
  });

  it("uses random UUIDs by default, a new one per event", () => {
    const a = prepareEvent({ event_name: "Lead" }, NOW).eventId;
    const b = prepareEvent({ event_name: "Lead" }, NOW).eventId;
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });

  it("freezes the JSON at track time", () => {
    const event: TallyEvent = { event_name: "Lead", custom_data: { value: 1 } };
    const q = prepareEvent(event, NOW);
    event.custom_data!.value = 2;
    expect(JSON.parse(q.json).custom_data.value).toBe(1);
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each<[string, unknown]>([
    ["null", null],
    ["a string", "Purchase"],
    ["no event_name", { event_id: "x" }],
    ["empty event_name", { event_name: "" }],
    ["non-string event_name", { event_name: 7 }],
    ["invalid Date", { event_name: "Lead", event_time: new Date("nope") }],
    ["a BigInt", { event_name: "Lead", custom_data: { value: 10n } }],
    ["a cycle", { event_name: "Lead", custom_data: cyclic }],
  ])("refuses %s with a TypeError", (_name, bad) => {
    expect(() => prepareEvent(bad as TallyEvent, NOW)).toThrow(TypeError);
  });
});
