import { describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../../domain/event.js";
import { RollupAccumulator } from "../../monitoring/rollups.js";
import { commitEvents } from "../commit-events.js";
import { MemoryTx } from "../memory-tx.js";
import { assign } from "./assign.js";
import { normalizedEvent } from "../../../test/helpers/events.js";

const WS = "ws_1";
const T = Date.UTC(2026, 11, 1);

function ev(o: Partial<NormalizedEvent> & { anon?: string[]; exp?: [string, string] } = {}): NormalizedEvent {
  const { anon, exp, ...rest } = o;
  return normalizedEvent(WS, T, {
    eventName: "Exposure",
    isConversion: false,
    eventTime: T,
    value: null,
    currency: null,
    ids: (anon ?? ["a"]).map((value) => ["anonymous_id", value]),
    customData: exp ? { experiment: exp[0], variant: exp[1] } : {},
    ...rest,
  });
}

const ctx = () => ({ rollups: new RollupAccumulator(), dedupWindowMs: 86_400_000, currencyOf: () => "USD" });
const commit = (tx: MemoryTx, e: NormalizedEvent) =>
  commitEvents(
    tx,
    [
      {
        event: e,
        windows: e.isConversion ? { clickWindowDays: 30, viewWindowDays: 1 } : null,
        source: "server",
      },
    ],
    ctx(),
  );

describe("assign", () => {
  it.each([
    ["first exposure", [["A", 0]], "A"],
    [
      "a later exposure to another variant changes nothing",
      [
        ["A", 0],
        ["B", 10],
      ],
      "A",
    ],
    [
      "an earlier exposure arriving late wins",
      [
        ["B", 10],
        ["A", 0],
      ],
      "A",
    ],
  ] as const)("%s", async (_name, exposures, variant) => {
    const tx = new MemoryTx();
    for (const [v, dt] of exposures) await commit(tx, ev({ exp: ["checkout", v], eventTime: T + dt }));
    expect([...tx.exposures.values()].map((e) => e.variant)).toEqual([variant]);
  });

  it("exposes no one for a test event, an event without identifiers or without both fields", async () => {
    const tx = new MemoryTx();
    await assign(
      tx,
      { event: ev({ exp: ["e", "A"], testEventCode: "T1" }), windows: null, source: "server" },
      "p_1",
    );
    await assign(tx, { event: ev({ exp: ["e", "A"] }), windows: null, source: "server" }, null);
    await assign(
      tx,
      { event: ev({ customData: { experiment: "e" } }), windows: null, source: "server" },
      "p_1",
    );
    expect(tx.exposures.size).toBe(0);
  });

  it("keeps the earlier exposure and moves conversions when two persons merge", async () => {
    const tx = new MemoryTx();
    await commit(tx, ev({ anon: ["phone"], exp: ["checkout", "A"], eventTime: T }));
    await commit(tx, ev({ anon: ["laptop"], exp: ["checkout", "B"], eventTime: T + 60 }));
    const buy = ev({
      anon: ["laptop"],
      eventName: "Purchase",
      isConversion: true,
      eventTime: T + 120,
      value: 5,
      currency: "USD",
    });
    await commit(tx, buy);
    await commit(tx, ev({ anon: ["phone", "laptop"], eventName: "PageView", eventTime: T + 130 }));
    const exposures = [...tx.exposures.entries()];
    expect(exposures).toHaveLength(1);
    const [key, first] = exposures[0]!;
    expect(first).toEqual({ variant: "A", at: T });
    expect(tx.conversionPersons.get(buy.id)).toBe(key.split("|")[2]);
  });
});
