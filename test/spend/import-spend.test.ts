// `tally import spend FILE.csv` against the real server (in-process, real SQLite, real HTTP on
// loopback): rows stored, bad rows summarised by reason and field, then read back in the report.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importCommand } from "../../src/cli/import.js";
import type { CliIo } from "../../src/cli/io.js";
import { createWorkspace, startInProcess } from "../helpers/server.js";

function captureIo(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        into.push(chunk.toString());
        cb();
      },
    });
  const io: CliIo = { env, stdout: sink(out), stderr: sink(err) };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

describe("tally import spend", () => {
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  let dir: string;
  beforeAll(async () => {
    tally = await startInProcess();
    dir = mkdtempSync(join(tmpdir(), "tally-import-spend-"));
  });
  afterAll(async () => {
    await tally.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the good rows, summarises the bad ones by reason, and a repeat replaces", async () => {
    const ws = await createWorkspace(tally.url, undefined, "Spend import");
    const lines = ["date,platform,account,campaign,campaign_id,ad,spend,currency,impressions,clicks,note"];
    let expected = 0;
    for (let d = 1; d <= 28; d++)
      for (const c of ["Brand", "Prospecting", "Retarget"]) {
        const spend = d + c.length;
        expected += spend;
        lines.push(`2026-02-${String(d).padStart(2, "0")},Meta,act_1,${c},,Video,${spend},USD,1000,25,ok`);
      }
    lines.push("2026-02-30,meta,act_1,Brand,,Video,5,USD,,,impossible date");
    lines.push("2026-02-03,meta,act_1,Brand,,Video,-5,USD,,,negative");
    lines.push("2026-02-04,meta,act_1,Brand,,Video,twelve,USD,,,not a number");
    lines.push("2026-02-05,meta,act_1,Brand,,Video,5,XYZ,,,unknown currency");
    lines.push('2026-02-06,meta,act_1,"Brand,,Video,5');
    // A restatement of Feb 1 Brand: replaces 6 with 60.
    lines.push("2026-02-01,meta,act_1,Brand,,Video,60,USD,1000,25,restated");
    expected += 60 - 6;
    const file = join(dir, "spend.csv");
    writeFileSync(file, lines.join("\n") + "\n");

    const cap = captureIo({ TALLY_URL: tally.url, TALLY_SECRET_KEY: ws.secret_key });
    const code = await importCommand(["spend", file], cap.io);
    expect(code, cap.stderr()).toBe(0);
    const out = cap.stdout();
    expect(out).toMatch(/Imported spend from .*spend\.csv: 90 rows/);
    expect(out).toMatch(/accepted\s+85/);
    expect(out).toMatch(/rejected\s+5/);
    expect(out).not.toMatch(/duplicates/);
    expect(out).toMatch(/invalid_field spend\s+2\s+lines 87, 88/);
    expect(out).toMatch(/invalid_field date\s+1\s+line 86/);
    expect(out).toMatch(/invalid_field currency\s+1\s+line 89/);
    expect(out).toMatch(/malformed_csv\s+1/);
    expect(cap.stderr()).toMatch(/ignoring columns that are not Spend fields: note/);

    const rep = await ws.api(
      "GET",
      "/v1/reports/performance?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z",
    );
    expect(rep.status).toBe(200);
    expect(rep.body.totals.spend).toBe(expected);
    expect(rep.body.rows.map((r: { key: string }) => r.key).sort()).toEqual([
      "Brand",
      "Prospecting",
      "Retarget",
    ]);
  });

  it("says which columns a spend CSV needs", async () => {
    const ws = await createWorkspace(tally.url, undefined, "Spend header");
    const file = join(dir, "bad-header.csv");
    writeFileSync(file, "day,platform,campaign,cost\n2026-02-01,meta,Brand,1\n");
    const cap = captureIo({ TALLY_URL: tally.url, TALLY_SECRET_KEY: ws.secret_key });
    expect(await importCommand(["spend", file], cap.io)).toBe(2);
    expect(cap.stderr()).toMatch(/no date, spend column \(a header names Spend fields: date, platform/);
  });
});
