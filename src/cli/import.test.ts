// `tally import` against the real server (in-process, real SQLite, real HTTP on loopback).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, freePort, startInProcess } from "../../test/helpers/server.js";
import { ApiClient } from "./api-client.js";
import type { CliIo } from "./io.js";
import { importCommand, runImport } from "./import.js";

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

const DAY = 86_400;

describe("tally import", () => {
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  let dir: string;

  beforeAll(async () => {
    tally = await startInProcess();
    dir = mkdtempSync(join(tmpdir(), "tally-import-"));
  });
  afterAll(async () => {
    await tally.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports a 20,000-row CSV and counts accepted, duplicate and rejected rows by reason", async () => {
    const ws = await createWorkspace(tally.url, undefined, "Import");
    const now = Math.floor(Date.now() / 1000);
    // Row i is on line i + 2 (line 1 is the header). Every 40th row is bad in one of five
    // ways, every 40th (offset 27) repeats an earlier good row's touch_id; the rest are good.
    const lines = ["time,platform,campaign,ad,touch_id,gclid,email,cost"];
    const expectBad: Record<string, number[]> = {
      event_too_old: [],
      missing_field: [],
      malformed_csv: [],
      wrong_field_count: [],
      invalid_field: [],
    };
    let good = 0;
    let dups = 0;
    for (let i = 0; i < 20_000; i++) {
      const t = now - (i % (30 * DAY));
      const line = i + 2;
      if (i % 40 === 7) {
        const kind = (
          ["event_too_old", "missing_field", "malformed_csv", "wrong_field_count", "invalid_field"] as const
        )[Math.floor(i / 40) % 5]!;
        expectBad[kind]!.push(line);
        if (kind === "event_too_old") lines.push(`${now - 100 * DAY},google,Old,ad,t-${i},g-${i},,1`);
        else if (kind === "missing_field") lines.push(`${t},google,,ad,t-${i},g-${i},,1`);
        else if (kind === "malformed_csv") lines.push(`${t},google,Bro"ken,ad,t-${i},g-${i},,1`);
        else if (kind === "wrong_field_count") lines.push(`${t},google,Short`);
        else lines.push(`${t},google,Bad email,ad,t-${i},g-${i},not-an-email,1`);
      } else if (i % 40 === 27) {
        lines.push(`${t},google,"Search, Brand",ad,t-${i - 26},g-dup-${i},,1`); // the touch_id of row i-26, a good one
        dups++;
      } else {
        lines.push(
          `${t},${i % 2 ? "google" : "meta"},"Search, ""Brand""",ad-${i % 3},t-${i},g-${i},${i % 5 === 0 ? `u${i}@example.com` : ""},0.${i % 100}`,
        );
        good++;
      }
    }
    const file = join(dir, "clicks.csv");
    writeFileSync(file, lines.join("\r\n") + "\r\n");

    const cap = captureIo({ TALLY_SECRET_KEY: ws.secret_key });
    const code = await importCommand(["clicks", file, "--url", tally.url], cap.io);
    const out = cap.stdout();
    expect(code, cap.stderr()).toBe(0);

    const count = (label: string) =>
      Number(new RegExp(`^  ${label}\\s+([\\d,]+)`, "m").exec(out)?.[1]?.replace(/,/g, ""));
    expect(out).toContain("20,000 rows");
    expect(count("accepted")).toBe(good);
    expect(count("duplicates")).toBe(dups);
    expect(count("rejected")).toBe(20_000 - good - dups);
    for (const [code, bad] of Object.entries(expectBad)) {
      const m = new RegExp(`^    ${code}\\s+([\\d,]+)\\s+lines (\\d+(?:, \\d+)*)`, "m").exec(out);
      expect(m, `${code} in\n${out}`).not.toBeNull();
      expect(Number(m![1]!.replace(/,/g, ""))).toBe(bad.length);
      expect(m![2]!.split(", ").map(Number)).toEqual(bad.slice(0, 5));
    }
    expect(cap.stderr()).toContain("ignoring columns that are not Touch fields: cost");

    // The server agrees: one click per accepted row.
    const metrics = await ws.api("GET", "/v1/metrics?bucket=day");
    expect(metrics.body.buckets.reduce((s: number, b: { clicks: number }) => s + b.clicks, 0)).toBe(good);

    // A second import of the same file: nothing new.
    const again = await runImport({
      path: file,
      kind: "clicks",
      format: "csv",
      client: new ApiClient({ baseUrl: tally.url, key: ws.secret_key }),
    });
    expect(again).toMatchObject({ rows: 20_000, accepted: 0, duplicates: good + dups });
  });

  it("imports impressions from NDJSON, reporting lines that are not JSON objects", async () => {
    const ws = await createWorkspace(tally.url, undefined, "Ndjson");
    const now = Math.floor(Date.now() / 1000);
    const file = join(dir, "views.ndjson");
    writeFileSync(
      file,
      [
        JSON.stringify({
          time: now - 60,
          platform: "meta",
          campaign: "Awareness",
          anonymous_id: "a1",
          touch_id: "v1",
        }),
        "",
        "{not json",
        JSON.stringify({
          time: now - 30,
          platform: "meta",
          campaign: "Awareness",
          anonymous_id: "a2",
          touch_id: "v2",
        }),
        "[1,2]",
        JSON.stringify({
          time: now - 30,
          platform: "meta",
          campaign: "Awareness",
          anonymous_id: "a2",
          touch_id: "v2",
        }),
      ].join("\n"),
    );
    const s = await runImport({
      path: file,
      kind: "impressions",
      format: "ndjson",
      client: new ApiClient({ baseUrl: tally.url, key: ws.secret_key }),
    });
    expect(s).toMatchObject({ rows: 5, accepted: 2, duplicates: 1, rejected: 2 });
    expect(s.reasons.invalid_json).toMatchObject({ count: 2, lines: [3, 5] });
    const metrics = await ws.api("GET", "/v1/metrics?bucket=day");
    expect(metrics.body.buckets.reduce((n: number, b: { impressions: number }) => n + b.impressions, 0)).toBe(
      2,
    );
  });

  it("exits 3 when the server is unreachable, 4 when the key is refused, 2 on bad usage", async () => {
    const file = join(dir, "one.csv");
    writeFileSync(file, "time,platform,campaign\n1764426811,google,x\n");
    const port = await freePort(); // nothing listens there
    let cap = captureIo({ TALLY_SECRET_KEY: "sk_whatever" });
    expect(await importCommand(["clicks", file, "--url", `http://127.0.0.1:${port}`], cap.io)).toBe(3);
    expect(cap.stderr()).toContain("cannot reach the Tally server");

    cap = captureIo({});
    expect(
      await importCommand(["clicks", file, "--url", tally.url, "--key", "sk_not_a_real_key"], cap.io),
    ).toBe(4);
    expect(cap.stderr()).toContain("unknown_key");

    cap = captureIo({});
    expect(await importCommand(["clicks", file, "--url", tally.url], cap.io)).toBe(2);
    expect(cap.stderr()).toContain("TALLY_SECRET_KEY");

    const ws = await createWorkspace(tally.url, undefined, "Headers");
    const noCampaign = join(dir, "bad-header.csv");
    writeFileSync(noCampaign, "time,platform\n1764426811,google\n");
    cap = captureIo({ TALLY_SECRET_KEY: ws.secret_key });
    expect(await importCommand(["clicks", noCampaign, "--url", tally.url], cap.io)).toBe(2);
    expect(cap.stderr()).toContain("no campaign column");
  });
});

describe("tally import against a server with small limits", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tally-import-limits-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const csv = (rows: number) => {
    const now = Math.floor(Date.now() / 1000);
    const file = join(dir, `rows-${rows}.csv`);
    writeFileSync(
      file,
      [
        "time,platform,campaign,touch_id",
        ...Array.from({ length: rows }, (_, i) => `${now - i},google,C,t-${i}`),
      ].join("\n"),
    );
    return file;
  };

  it("splits batches the server finds too large (413) until they fit", async () => {
    const tally = await startInProcess({ TALLY_MAX_BATCH: "10" });
    try {
      const ws = await createWorkspace(tally.url);
      const s = await runImport({
        path: csv(95),
        kind: "clicks",
        format: "csv",
        client: new ApiClient({ baseUrl: tally.url, key: ws.secret_key }),
        batchSize: 40,
      });
      expect(s).toMatchObject({ rows: 95, accepted: 95, duplicates: 0, rejected: 0 });
    } finally {
      await tally.cleanup();
    }
  });

  it("waits out 429 as Retry-After says, and loses nothing", async () => {
    const tally = await startInProcess({ TALLY_RATE_LIMIT_PER_SECOND: "1" });
    try {
      const ws = await createWorkspace(tally.url);
      const s = await runImport({
        path: csv(5),
        kind: "clicks",
        format: "csv",
        client: new ApiClient({ baseUrl: tally.url, key: ws.secret_key }),
        batchSize: 1,
        concurrency: 2,
      });
      expect(s).toMatchObject({ rows: 5, accepted: 5, rejected: 0 });
    } finally {
      await tally.cleanup();
    }
  });
});
