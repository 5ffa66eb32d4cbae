// `tally simulate` against the real server (in-process, real SQLite, real HTTP on loopback).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../../test/helpers/server.js";
import type { CliIo } from "./io.js";
import { simulateCommand } from "./simulate.js";

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

interface Bucket {
  conversions: number;
  clicks: number;
  impressions: number;
  duplicates: number;
  rejected: number;
  value: number;
}

async function totals(url: string, key: string) {
  const res = await client(url, key)(
    "GET",
    `/v1/metrics?bucket=minute&from=${new Date(Date.now() - 3_600_000).toISOString()}`,
  );
  expect(res.status).toBe(200);
  const t = { conversions: 0, clicks: 0, impressions: 0, duplicates: 0, rejected: 0, value: 0 };
  for (const b of res.body.buckets as Bucket[])
    for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] += b[k];
  return t;
}

const num = (out: string, re: RegExp) => Number(re.exec(out)?.[1]?.replace(/,/g, ""));

describe("tally simulate", () => {
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  beforeAll(async () => {
    tally = await startInProcess();
  });
  afterAll(() => tally.cleanup());

  it("creates the workspace with the admin token and fills it with clicks, conversions, duplicates and errors", async () => {
    const cap = captureIo({ TALLY_ADMIN_TOKEN: ADMIN_TOKEN });
    const code = await simulateCommand(
      ["--workspace", "Sim shop", "--users", "60", "--days", "3", "--seed", "11", "--url", tally.url],
      cap.io,
    );
    const out = cap.stdout();
    expect(code, cap.stderr()).toBe(0);
    const key = /secret key: (sk_\S+)/.exec(out)?.[1];
    expect(key, out).toBeDefined();

    const t = await totals(tally.url, key!);
    // What the simulator says it sent is what the server counted.
    const sentConversions = num(out, /([\d,]+) conversions \(/);
    const copies = num(out, /([\d,]+) browser copies/);
    const broken = num(out, /([\d,]+) broken events/);
    expect(sentConversions).toBeGreaterThan(0);
    expect(copies).toBeGreaterThan(0);
    expect(t.conversions).toBe(sentConversions);
    expect(t.duplicates).toBe(copies); // each order sent twice is counted once
    expect(t.rejected).toBe(broken);
    expect(t.clicks).toBeGreaterThan(0);
    expect(t.impressions).toBeGreaterThan(0);
    expect(t.value).toBeGreaterThan(0);
    expect(out).toContain(`server     conversions ${sentConversions.toLocaleString("en-US")}`);

    // Conversions are attributed to the simulated platforms (touches and logins went first).
    const report = await client(tally.url, key)(
      "GET",
      `/v1/reports/attribution?from=${new Date(Date.now() - 8 * 86_400_000).toISOString()}`,
    );
    expect(report.body.rows.length).toBeGreaterThan(0);

    // A second run into the same workspace finds it by name (no new keys printed).
    const again = captureIo({ TALLY_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(
      await simulateCommand(
        ["--workspace", "Sim shop", "--users", "5", "--days", "2", "--seed", "12", "--url", tally.url],
        again.io,
      ),
    ).toBe(0);
    expect(again.stdout()).not.toContain("secret key");
    expect(again.stdout()).toContain("into workspace Sim shop");
  });

  it("keeps sending fresh events in live mode until the duration ends", async () => {
    const ws = await createWorkspace(tally.url, undefined, "Live");
    const cap = captureIo({ TALLY_SECRET_KEY: ws.secret_key });
    const code = await simulateCommand(
      ["--live", "--duration", "2", "--rate", "40", "--seed", "3", "--url", tally.url],
      cap.io,
    );
    expect(code, cap.stderr()).toBe(0);
    const t = await totals(tally.url, ws.secret_key);
    expect(t.clicks).toBeGreaterThan(0);
    expect(cap.stdout()).toContain("live");
  });

  it("exits 4 when the key is refused and 2 without any credentials", async () => {
    let cap = captureIo({});
    expect(await simulateCommand(["--key", "sk_nope", "--users", "1", "--url", tally.url], cap.io)).toBe(4);
    cap = captureIo({ TALLY_DATA_DIR: "/nonexistent-tally-dir" });
    expect(await simulateCommand(["--users", "1", "--url", tally.url], cap.io)).toBe(2);
    expect(cap.stderr()).toContain("admin token");
  });
});
