import { describe, expect, it } from "vitest";
import { conversionData, MAX_RECEIVED_JSON_CHARS, testEventData } from "./messages.js";

describe("conversionData", () => {
  it("gives last_click as `attribution` and every model in `attribution_all`, with ISO times", () => {
    const touch = { platform: "google", campaign: "brand", ad: null, time: 0, credit: 1 };
    const d = conversionData(
      {
        type: "conversion",
        workspaceId: "ws_a",
        id: "evt_1",
        eventName: "Purchase",
        eventTime: 1000,
        receivedAt: 2000,
        value: 5,
        currency: "USD",
        eventId: "o1",
        attribution: {
          last_click: [touch],
          first_click: [touch],
          linear: [touch],
          time_decay: [touch],
          position_based: [touch],
        },
      },
      2003,
    );
    expect(d).toMatchObject({
      event_time: "1970-01-01T00:00:01.000Z",
      received_at: "1970-01-01T00:00:02.000Z",
      published_at: "1970-01-01T00:00:02.003Z",
    });
    expect(d.attribution).toEqual({
      model: "last_click",
      touches: [{ ...touch, time: "1970-01-01T00:00:00.000Z" }],
    });
    expect(Object.keys(d.attribution_all)).toEqual([
      "last_click",
      "first_click",
      "linear",
      "time_decay",
      "position_based",
    ]);
  });

  it("gives empty touches for an unattributed conversion", () => {
    const d = conversionData(
      {
        type: "conversion",
        workspaceId: "w",
        id: "e",
        eventName: "Lead",
        eventTime: 0,
        receivedAt: 0,
        value: null,
        currency: null,
        eventId: null,
        attribution: null,
      },
      0,
    );
    expect(d.attribution.touches).toEqual([]);
    expect(d.attribution_all.first_click).toEqual([]);
  });
});

describe("testEventData", () => {
  it("summarises a very large received payload", () => {
    const big = { custom_data: { blob: "x".repeat(MAX_RECEIVED_JSON_CHARS * 2) } };
    const d = testEventData({
      type: "test_event",
      workspaceId: "w",
      receivedAt: 0,
      status: "rejected",
      id: null,
      testEventCode: null,
      eventName: "X",
      received: big,
      error: null,
    });
    expect(d.received).toMatchObject({ truncated: true });
    expect(JSON.stringify(d.received).length).toBeLessThan(MAX_RECEIVED_JSON_CHARS + 200);
  });
});
