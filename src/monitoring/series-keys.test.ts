import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../domain/event.js";
import { RollupAccumulator } from "./rollups.js";
import { eventSeries, fieldKey, nameKey, sourceKey, SLOT_MS } from "./series.js";
import { normalizedEvent } from "../../test/helpers/events.js";

const MINUTE = Date.UTC(2026, 11, 7, 12, 0);

const event = (customData: Record<string, unknown>, eventName = "Purchase"): NormalizedEvent =>
  normalizedEvent("ws_x", MINUTE, { eventName, value: null, currency: null, customData });

describe("series keys made once and kept", () => {
  it("names every field of every event alike, past the cache's bound of fields for one event name", () => {
    // 15 events × 20 custom fields: 300 fields of one event name, more than the 200 kept.
    for (let e = 0; e < 15; e++) {
      const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${e}_${i}`, 1]));
      expect(eventSeries(event(fields), "server")).toEqual([
        nameKey("Purchase"),
        sourceKey("server"),
        ...Object.keys(fields).map((f) => fieldKey("Purchase", `custom_data.${f}`)),
      ]);
    }
    // The same field of another event name is that name's.
    expect(eventSeries(event({ f0_0: 1 }, "Lead"), "browser")).toEqual([
      nameKey("Lead"),
      sourceKey("browser"),
      fieldKey("Lead", "custom_data.f0_0"),
    ]);
  });

  it("counts each key in its 10-second slot, past the cache's bound of keys", () => {
    const acc = new RollupAccumulator();
    const keys = Array.from({ length: 10_050 }, (_, i) => `n:event_${i}`);
    acc.count("ws_x", MINUTE + 3 * SLOT_MS + 1, keys);
    acc.count("ws_x", MINUTE + 5 * SLOT_MS, [keys[0]!, keys[10_049]!, keys[0]!]);
    const [minute] = acc.drain();
    const series = minute!.series!;
    expect(Object.keys(series)).toHaveLength(10_052);
    expect(keys.every((k) => series[`3|${k}`] === 1)).toBe(true);
    expect(series[`5|${keys[0]!}`]).toBe(2);
    expect(series[`5|${keys[10_049]!}`]).toBe(1);
  });
});
