// `tally reattribute` on the store of a running server: late touches count only after it.
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, startInProcess } from "../../test/helpers/server.js";
import type { CliIo } from "./io.js";
import { parseTimeFlag, reattribute, reattributeCommand } from "./reattribute.js";

function captureIo(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const sink = (into: string[] | null) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        into?.push(chunk.toString());
        cb();
      },
    });
  const io: CliIo = { env, stdout: sink(out), stderr: sink(null) };
  return { io, stdout: () => out.join("") };
}

describe("parseTimeFlag", () => {
  it.each<[string, number]>([
    ["2026-03-01", Date.UTC(2026, 2, 1)],
    ["2026-03-01T12:00:00Z", Date.UTC(2026, 2, 1, 12)],
    ["2026-03-01T12:00:00+02:00", Date.UTC(2026, 2, 1, 10)],
    ["1764426811", 1764426811_000],
  ])("%s", (raw, ms) => expect(parseTimeFlag("from", raw)).toBe(ms));

  it.each(["2026-02-30", "2026-03-01T12:00:00", "yesterday", "", "-5"])("refuses %j", (raw) => {
    expect(() => parseTimeFlag("from", raw)).toThrow(/--from must be/);
  });
});

describe("tally reattribute", () => {
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  beforeAll(async () => {
    tally = await startInProcess();
  });
  afterAll(() => tally.cleanup());

  it("recomputes conversions with touches that arrived after them, only in the period and workspace asked", async () => {
    const ws = await createWorkspace(tally.url, undefined, "Late");
    const other = await createWorkspace(tally.url, undefined, "Other");
    const now = Math.floor(Date.now() / 1000);
    const purchase = (id: string, t: number) => ({
      event_name: "Purchase",
      event_time: t,
      event_id: id,
      user_data: { anonymous_id: "late-visitor" },
      custom_data: { value: 10, currency: "USD" },
    });
    // Two conversions, one yesterday and one two days ago; no touch is known yet.
    expect(
      (
        await ws.api("POST", "/v1/events", {
          data: [purchase("o-1", now - 3600), purchase("o-2", now - 2 * 86_400)],
        })
      ).body.accepted,
    ).toBe(2);
    // The click arrives afterwards (an import of last week's clicks).
    const click = await ws.api("POST", "/v1/clicks", {
      data: [
        {
          time: now - 3 * 86_400,
          platform: "meta",
          campaign: "Late",
          fbclid: "fb-late",
          anonymous_id: "late-visitor",
        },
      ],
    });
    expect(click.body.accepted).toBe(1);

    const day = (t: number) => new Date(t * 1000).toISOString();
    const report = async () =>
      (await ws.api("GET", `/v1/reports/attribution?from=${day(now - 7 * 86_400)}&to=${day(now + 3600)}`))
        .body as {
        rows: { key: string; conversions: number; value: number }[];
        unattributed: { conversions: number };
      };
    // Attributed on arrival, from what was known then: nothing.
    expect(await report()).toMatchObject({ rows: [], unattributed: { conversions: 2 } });

    const env = { TALLY_DATA_DIR: tally.dataDir };
    // Another workspace: nothing here changes.
    let cap = captureIo(env);
    expect(await reattributeCommand(["--from", day(now - 7 * 86_400), "--workspace", other.id], cap.io)).toBe(
      0,
    );
    expect(cap.stdout()).toContain("Recomputed the attribution of 0 conversions");
    expect(await report()).toMatchObject({ rows: [], unattributed: { conversions: 2 } });

    // Only yesterday's conversion (the period is by event_time, `to` exclusive).
    cap = captureIo(env);
    expect(
      await reattributeCommand(
        ["--from", day(now - 86_400), "--to", day(now), "--workspace", "Late"],
        cap.io,
      ),
    ).toBe(0);
    expect(cap.stdout()).toContain("Recomputed the attribution of 1 conversion ");
    expect(await report()).toMatchObject({
      rows: [{ key: "meta", conversions: 1, value: 10 }],
      unattributed: { conversions: 1 },
    });

    // The whole week, every workspace.
    cap = captureIo(env);
    expect(await reattributeCommand(["--from", String(now - 7 * 86_400)], cap.io)).toBe(0);
    expect(cap.stdout()).toContain("Recomputed the attribution of 2 conversions");
    expect(await report()).toMatchObject({
      rows: [{ key: "meta", conversions: 2, value: 20 }],
      unattributed: { conversions: 0 },
    });
  });

  it.each([1, 2, 3, 100])(
    "recomputes each conversion once when slices hold %i conversions",
    async (slice) => {
      const ws = await createWorkspace(tally.url, undefined, `Slices ${slice}`);
      const now = Math.floor(Date.now() / 1000);
      // Two conversions share a millisecond: a slice boundary must not split or repeat them.
      const times = [now - 5000, now - 4000, now - 4000, now - 3000, now - 2000];
      const data = times.map((t, i) => ({
        event_name: "Lead",
        event_time: t,
        event_id: `l-${i}`,
        user_data: { anonymous_id: "slicer" },
      }));
      expect((await ws.api("POST", "/v1/events", { data })).body.accepted).toBe(5);
      await ws.api("POST", "/v1/clicks", {
        data: [
          { time: now - 6000, platform: "google", campaign: "C", gclid: "g-slice", anonymous_id: "slicer" },
        ],
      });

      const perSlice: number[] = [];
      let seen = 0;
      const n = await reattribute(tally.deps.store, {
        workspaceId: ws.id,
        from: (now - 86_400) * 1000,
        to: (now + 3600) * 1000,
        slice,
        onSlice: (_f, total) => {
          perSlice.push(total - seen);
          seen = total;
        },
      });
      expect(n).toBe(5);
      // Each transaction holds at most `slice` conversions (two when a millisecond holds two), never none.
      for (const k of perSlice) expect(k >= 1 && k <= Math.max(slice, 2)).toBe(true);
      if (slice >= 5) expect(perSlice).toEqual([5]);
      const report = await ws.api("GET", `/v1/reports/attribution?from=${now - 86_400}`);
      expect(report.body).toMatchObject({
        rows: [{ key: "google", conversions: 5 }],
        unattributed: { conversions: 0 },
      });
    },
  );

  it("exits 2 on bad usage", async () => {
    const env = { TALLY_DATA_DIR: tally.dataDir };
    expect(await reattributeCommand([], captureIo(env).io)).toBe(2);
    expect(await reattributeCommand(["--from", "2026-03-02", "--to", "2026-03-01"], captureIo(env).io)).toBe(
      2,
    );
    expect(
      await reattributeCommand(["--from", "2026-03-01", "--workspace", "No such"], captureIo(env).io),
    ).toBe(2);
  });
});
