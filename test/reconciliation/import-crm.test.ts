// `tally import crm FILE.csv` against the real server (in-process, real SQLite, real HTTP on
// loopback): orders stored, bad rows summarised by reason and field, a repeat changing nothing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { importCommand } from "../../src/cli/import.js";
import type { CliIo } from "../../src/cli/io.js";
import { createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

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

let tally: Awaited<ReturnType<typeof startInProcess>>;
let dir: string;
beforeAll(async () => {
  tally = await startInProcess();
  dir = mkdtempSync(join(tmpdir(), "tally-import-crm-"));
});
afterAll(async () => {
  await tally.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

it("stores the orders, summarises the bad rows by reason, retracts refunds, and is safe to repeat", async () => {
  const ws = await createWorkspace(tally.url, undefined, "CRM import");
  const t = nowSeconds();
  const tracked = await ws.api("POST", "/v1/events", {
    data: [1, 2, 3].map((i) => ({
      event_name: "Purchase",
      event_time: t - 100 + i,
      user_data: { external_id: `c${i}` },
      custom_data: { value: 10 * i, currency: "USD", order_id: `O-${i}` },
    })),
  });
  expect(tracked.body.accepted).toBe(3);
  const lines = ["order_id,time,value,currency,status,customer_email"];
  for (let i = 1; i <= 50; i++)
    lines.push(
      `O-${i},${t - 200 + i},${10 * i},USD,${i === 2 ? "refunded" : "completed"},someone@example.com`,
    );
  lines.push(`,${t - 50},5,USD,completed,`);
  lines.push(`O-x,${t - 50},five,USD,completed,`);
  lines.push(`O-y,${t - 50},5,USD,returned,`);
  lines.push(`O-z,${t - 50},5,XYZ,completed,`);
  const file = join(dir, "orders.csv");
  writeFileSync(file, lines.join("\n") + "\n");

  const run = async () => {
    const cap = captureIo({ TALLY_URL: tally.url, TALLY_SECRET_KEY: ws.secret_key });
    const code = await importCommand(["crm", file], cap.io);
    expect(code, cap.stderr()).toBe(0);
    return cap;
  };
  const cap = await run();
  const out = cap.stdout();
  expect(out).toMatch(/Imported crm from .*orders\.csv: 54 rows/);
  expect(out).toMatch(/accepted\s+50/);
  expect(out).toMatch(/rejected\s+4/);
  expect(out).toMatch(/missing_field order_id\s+1\s+line 52/);
  expect(out).toMatch(/invalid_field value\s+1\s+line 53/);
  expect(out).toMatch(/invalid_field status\s+1\s+line 54/);
  expect(out).toMatch(/invalid_field currency\s+1\s+line 55/);
  expect(cap.stderr()).toMatch(/ignoring columns that are not CRM order fields: customer_email/);

  const range = `from=${new Date((t - 3600) * 1000).toISOString()}&to=${new Date((t + 60) * 1000).toISOString()}`;
  const rep = await ws.api("GET", `/v1/reports/reconciliation?${range}`);
  expect(rep.body).toMatchObject({ crm: { orders: 50 }, matched: { orders: 3 }, missing: { orders: 47 } });
  expect(rep.body.refunded).toEqual({ orders: 1, value: 20 });
  const attr = await ws.api("GET", `/v1/reports/attribution?${range}`);
  expect(attr.body.unattributed).toEqual({ conversions: 2, value: 40 });

  // Repeating the import (a cron job): the same report, no new adjustment.
  await run();
  expect((await ws.api("GET", `/v1/reports/reconciliation?${range}`)).body).toEqual(rep.body);
  const conv = (tracked.body.results as { id: string }[])[1]!.id;
  expect(await tally.deps.store.adjustmentsOf(ws.id, conv)).toHaveLength(1);
});
