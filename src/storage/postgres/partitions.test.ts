import { describe, expect, it } from "vitest";
import { newId } from "../../domain/ids.js";
import { readByEventIds } from "./partitions.js";

const DAY_MS = 86_400_000;

describe("readByEventIds", () => {
  it("asks once per month the ids were made in, each with that month's span, then by id alone for the rest", async () => {
    const june = Date.UTC(2026, 5, 10);
    const ids = {
      juneA: newId("evt", june),
      juneB: newId("evt", june + 3 * DAY_MS),
      march: newId("evt", Date.UTC(2026, 2, 31, 23, 59)),
      moved: newId("evt", june + DAY_MS), // its row was received in another month
      untimed: "evt_made-elsewhere",
    };
    const rows = new Map(Object.values(ids).map((id) => [id, { id }]));
    const calls: [string[], [number, number] | null][] = [];
    const found = await readByEventIds(Object.values(ids), (want, span) => {
      calls.push([[...want].sort(), span]);
      return Promise.resolve(
        want.filter((id) => id !== ids.moved || span === null).map((id) => rows.get(id)!),
      );
    });
    expect(calls).toEqual([
      [[ids.juneA, ids.juneB, ids.moved].sort(), [june, june + 3 * DAY_MS]],
      [[ids.march], [Date.UTC(2026, 2, 31, 23, 59), Date.UTC(2026, 2, 31, 23, 59)]],
      [[ids.moved, ids.untimed].sort(), null],
    ]);
    expect([...found.keys()].sort()).toEqual(Object.values(ids).sort());
  });

  it("asks nothing by id alone when every id is found in its month", async () => {
    const ids = [newId("evt", Date.UTC(2026, 0, 5)), newId("evt", Date.UTC(2026, 0, 6))];
    const spans: ([number, number] | null)[] = [];
    await readByEventIds(ids, (want, span) => {
      spans.push(span);
      return Promise.resolve(want.map((id) => ({ id })));
    });
    expect(spans).toEqual([[Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 6)]]);
  });
});
