import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatDuration, formatProgress, Progress } from "./progress.js";

describe("formatDuration", () => {
  it.each<[number, string]>([
    [0, "0:00"],
    [7_400, "0:07"],
    [125_000, "2:05"],
    [3_723_000, "1:02:03"],
    [-5, "0:00"],
  ])("%i ms → %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe("formatProgress", () => {
  it.each<[string, Parameters<typeof formatProgress>[0], boolean, string]>([
    [
      "halfway, with a bar",
      { label: "import", count: 5000, unit: "rows", elapsedMs: 2000, fraction: 0.5 },
      true,
      "import  [############............]  50%  5,000 rows  2,500 rows/s  ETA 0:02",
    ],
    [
      "halfway, plain",
      { label: "import", count: 5000, unit: "rows", elapsedMs: 2000, fraction: 0.5 },
      false,
      "import  50%  5,000 rows  2,500 rows/s  ETA 0:02",
    ],
    [
      "early: a decimal percent",
      { label: "x", count: 10, unit: "rows", elapsedMs: 1000, fraction: 0.0123 },
      false,
      "x  1.2%  10 rows  10 rows/s  ETA 1:20",
    ],
    [
      "done",
      { label: "x", count: 10, unit: "rows", elapsedMs: 1000, fraction: 1 },
      false,
      "x  100%  10 rows  10 rows/s  elapsed 0:01",
    ],
    [
      "unknown total",
      { label: "live", count: 42, unit: "items", elapsedMs: 0, fraction: null },
      true,
      "live  42 items  0 items/s  elapsed 0:00",
    ],
  ])("%s", (_name, state, bar, text) => expect(formatProgress(state, bar)).toBe(text));
});

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  const s = Object.assign(
    new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    { isTTY, columns: 200 },
  );
  return { s, chunks };
}

describe("Progress", () => {
  it("redraws one line in place on a terminal, throttled, and ends it", () => {
    let now = 0;
    const { s, chunks } = stream(true);
    const p = new Progress({ stream: s, label: "import", now: () => now });
    p.update(1, 0.1);
    now = 50;
    p.update(2, 0.2); // within 100 ms of the last drawing: not drawn
    now = 150;
    p.update(3, 0.3);
    p.finish();
    p.finish();
    expect(chunks).toHaveLength(3);
    for (const c of chunks) expect(c.startsWith("\r")).toBe(true);
    expect(chunks.slice(0, 2).every((c) => !c.endsWith("\n"))).toBe(true);
    expect(chunks[2]).toMatch(/3 rows.*\n$/);
  });

  it("prints plain lines every few seconds when not on a terminal", () => {
    let now = 0;
    const { s, chunks } = stream(false);
    const p = new Progress({ stream: s, label: "import", now: () => now });
    for (let t = 0; t <= 12_000; t += 500) {
      now = t;
      p.update(t, t / 12_000);
    }
    p.finish();
    expect(chunks).toEqual([
      expect.stringMatching(/^import {2}0\.0%/),
      expect.stringMatching(/^import {2}42%/),
      expect.stringMatching(/^import {2}83%/),
      expect.stringMatching(/^import {2}100%.*\n$/),
    ]);
    expect(chunks.join("")).not.toContain("\r");
  });
});
