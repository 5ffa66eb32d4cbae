/**
 * The reconciliation report's SQL (reconciliation-sql.ts) against a straightforward reference
 * on random data, on a real SQLite file and a real PostgreSQL schema: orders and conversions
 * of two event names around the month, shared and repeated order ids, conversions far from
 * their order, test and non-conversion events, adjusted values, last-click credits. The
 * figures of the report by day, month and platform must be the reference's exactly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, postgresAvailable, type TestSchema } from "../../test/postgres/pg-test-db.js";
import { DAY_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { SQLITE_WRITER_ENTRY, commitCore } from "../open-store.js";
import { reconciliationReport } from "../reconciliation/report.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { MATCH_MARGIN_MS } from "./reconciliation-sql.js";
import { SLICE_MS, type ReconcileSums } from "./reconciliation-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./storage.js";

const pgUp = await postgresAvailable("the PostgreSQL half of the reconciliation SQL test");

const FROM = Date.UTC(2026, 2, 1);
const TO = Date.UTC(2026, 2, 31);
const ORDER_IDS = ["A", "B", "C", "D", "E"];
const NAMES = ["Purchase", "Lead"];
const PLATFORMS = ["google", "meta", "tiktok"];

interface Order {
  orderId: string;
  eventName: string;
  time: number;
  value: number;
  status: string;
}
interface Conv {
  id: string;
  orderId: string | null;
  eventName: string;
  isConversion: boolean;
  testCode: string | null;
  time: number;
  value: number | null;
  /** The value as tracked, when the conversion was adjusted since. */
  tracked: number | null | undefined;
  platform: string | null;
}

/** Times from 20 days before the month to 20 after: inside, in the margin and beyond it. */
const time = fc.integer({ min: -20 * 24, max: (30 + 20) * 24 }).map((h) => FROM + h * 3_600_000);
const cents = fc.integer({ min: 0, max: 50_000 }).map((c) => c / 100);

const orders = fc.uniqueArray(
  fc.record({
    orderId: fc.constantFrom(...ORDER_IDS),
    eventName: fc.constantFrom(...NAMES),
    time,
    value: cents,
    status: fc.constantFrom("completed", "completed", "refunded", "cancelled"),
  }),
  { selector: (o) => o.orderId, maxLength: ORDER_IDS.length },
);
const convs = fc
  .array(
    fc.record({
      orderId: fc.option(fc.constantFrom(...ORDER_IDS, "X", "Y"), { freq: 5 }),
      eventName: fc.constantFrom(...NAMES, "Purchase"),
      isConversion: fc.constantFrom(true, true, true, true, false),
      testCode: fc.option(fc.constant("TEST1"), { freq: 6 }),
      time,
      value: fc.option(cents, { freq: 8 }),
      tracked: fc.option(fc.option(cents, { freq: 8 }), { freq: 2, nil: undefined }),
      platform: fc.option(fc.constantFrom(...PLATFORMS), { freq: 2 }),
    }),
    { maxLength: 24 },
  )
  // Distinct ids, and distinct times (a ms apart): which of two conversions at the same ms
  // matches is left open.
  .map((cs) =>
    cs.map((c, i): Conv => ({ ...c, id: `evt_${String(i).padStart(26, "0")}`, time: c.time + i })),
  );

const farOrder: Order = {
  orderId: "A",
  eventName: "Purchase",
  time: FROM + DAY_MS,
  value: 10,
  status: "completed",
};
const conv = (i: number, t: number, value: number): Conv => ({
  id: `evt_${String(i).padStart(26, "0")}`,
  orderId: "A",
  eventName: "Purchase",
  isConversion: true,
  testCode: null,
  time: t,
  value,
  tracked: undefined,
  platform: i === 0 ? "meta" : null,
});

/** The definition, row by row. */
function reference(os: Order[], cs: Conv[], byPlatform: boolean): ReconcileSums[] {
  const out = new Map<string, ReconcileSums>();
  const platformOf = (c: Conv | null) => c?.platform ?? "unattributed";
  const at = (t: number, c: Conv | null): ReconcileSums => {
    const k = byPlatform ? platformOf(c) : String(Math.floor(t / SLICE_MS));
    let r = out.get(k);
    if (!r)
      out.set(
        k,
        (r = {
          slice: byPlatform ? null : Math.floor(t / SLICE_MS),
          platform: byPlatform ? platformOf(c) : null,
          crmOrders: 0,
          crmValue: 0,
          matchedOrders: 0,
          matchedCrmValue: 0,
          matchedTrackedValue: 0,
          missingOrders: 0,
          missingValue: 0,
          mismatchOrders: 0,
          mismatchDifference: 0,
          refundedOrders: 0,
          refundedValue: 0,
          trackedConversions: 0,
          trackedValue: 0,
          unconfirmedConversions: 0,
          unconfirmedValue: 0,
        }),
      );
    return r;
  };
  const tracked = (c: Conv) => (c.tracked === undefined ? c.value : c.tracked) ?? 0;
  const eligible = cs.filter((c) => c.isConversion && c.testCode === null);
  const earliest = (xs: Conv[]) =>
    xs.reduce<Conv | null>((a, c) => (a === null || c.time < a.time ? c : a), null);
  for (const o of os) {
    if (o.eventName !== "Purchase" || o.time < FROM || o.time >= TO) continue;
    const mine = eligible.filter((c) => c.orderId === o.orderId && c.eventName === o.eventName);
    const near = mine.filter((c) => c.time >= FROM - MATCH_MARGIN_MS && c.time < TO + MATCH_MARGIN_MS);
    const c = earliest(near.length > 0 ? near : mine);
    const r = at(o.time, c);
    r.crmOrders++;
    r.crmValue += o.value;
    if (o.status !== "completed") {
      r.refundedOrders++;
      r.refundedValue += o.value;
    }
    if (c) {
      r.matchedOrders++;
      r.matchedCrmValue += o.value;
      r.matchedTrackedValue += tracked(c);
      if (Math.abs(o.value - tracked(c)) > 0.01) {
        r.mismatchOrders++;
        r.mismatchDifference += o.value - tracked(c);
      }
    } else {
      r.missingOrders++;
      r.missingValue += o.value;
    }
  }
  for (const c of eligible) {
    if (c.eventName !== "Purchase" || c.time < FROM || c.time >= TO) continue;
    const r = at(c.time, c);
    r.trackedConversions++;
    r.trackedValue += tracked(c);
    if (c.orderId === null || !os.some((o) => o.orderId === c.orderId)) {
      r.unconfirmedConversions++;
      r.unconfirmedValue += tracked(c);
    }
  }
  return [...out.values()];
}

interface Backend {
  store: Store;
  /** Writes the rows straight into the tables of a fresh workspace; its id. */
  load(os: Order[], cs: Conv[]): Promise<string>;
  cleanup(): Promise<void>;
}

const newWorkspace = (store: Store, n: number) =>
  store.createWorkspace(
    { name: `Shop ${n}`, currency: "USD", timezone: "UTC" },
    { publicKey: `pk_recon${n}${"x".repeat(16)}`, secretKeyHash: `${n}${"0".repeat(60)}` },
    standardActions(),
  );

let seq = 0;

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "tally-recon-sql-"));
  const path = join(dir, "tally.db");
  const store = new SqliteStore({
    path,
    synchronous: "normal",
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 5000,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
  const db = new Database(path);
  db.pragma("busy_timeout = 5000");
  const ev = db.prepare(
    `INSERT INTO events (id, workspace_id, event_name, is_conversion, test_event_code, event_time, received_at,
       order_id, value, currency, attributed, payload, adjusted_at, tracked_value)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'USD', 0, '{}', ?, ?)`,
  );
  const cr = db.prepare(
    `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
     VALUES (?, ?, 'last_click', ?, 0, ?, 'c', NULL, ?, 1, 0, 'USD')`,
  );
  const od = db.prepare(
    `INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at)
     VALUES (?, ?, ?, ?, ?, 'USD', ?, 0)`,
  );
  return {
    store,
    async load(os, cs) {
      const ws = (await newWorkspace(store, ++seq)).id;
      db.transaction(() => {
        for (const c of cs) {
          const id = `${c.id}${ws}`;
          const adjusted = c.tracked !== undefined;
          ev.run(
            id,
            ws,
            c.eventName,
            c.isConversion ? 1 : 0,
            c.testCode,
            c.time,
            c.time,
            c.orderId,
            adjusted ? 1 : c.value,
            adjusted ? 1 : null,
            adjusted ? c.tracked : null,
          );
          if (c.platform) cr.run(id, ws, c.time, c.platform, c.time - 1000);
        }
        for (const o of os) od.run(ws, o.orderId, o.eventName, o.time, o.value, o.status);
      })();
      return ws;
    },
    async cleanup() {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgBackend(): Promise<Backend> {
  const schema: TestSchema = await createTestSchema({ pool_max: "4" });
  const store = new PostgresStore({
    url: schema.url,
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 1000,
    core: commitCore,
  });
  await store.init();
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  return {
    store,
    async load(os, cs) {
      const ws = (await newWorkspace(store, ++seq)).id;
      for (const c of cs) {
        const id = `${c.id}${ws}`;
        const adjusted = c.tracked !== undefined;
        await client.query(
          `INSERT INTO events (id, workspace_id, event_name, is_conversion, test_event_code, event_time, received_at,
             order_id, value, currency, attributed, payload, adjusted_at, tracked_value)
           VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, 'USD', false, '{}', $9, $10)`,
          [
            id,
            ws,
            c.eventName,
            c.isConversion,
            c.testCode,
            c.time,
            c.orderId,
            adjusted ? 1 : c.value,
            adjusted ? 1 : null,
            adjusted ? c.tracked : null,
          ],
        );
        if (c.platform)
          await client.query(
            `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency)
             VALUES ($1, $2, 'last_click', $3, 0, $4, 'c', NULL, $5, 1, 0, 'USD')`,
            [id, ws, c.time, c.platform, c.time - 1000],
          );
      }
      for (const o of os)
        await client.query(
          `INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at)
           VALUES ($1, $2, $3, $4, $5, 'USD', $6, 0)`,
          [ws, o.orderId, o.eventName, o.time, o.value, o.status],
        );
      return ws;
    },
    async cleanup() {
      await client.end();
      await store.close();
      await schema.drop();
    },
  };
}

describe.each([
  ["sqlite", sqliteBackend, false],
  ["postgres", pgBackend, !pgUp],
] as const)("reconciliation SQL against the reference: %s", (_name, make, skip) => {
  describe.skipIf(skip)("", () => {
    let b: Backend;
    beforeAll(async () => {
      b = await make();
    });
    afterAll(async () => {
      await b?.cleanup();
    });

    it("gives the reference's figures by day, month and platform on random data", async () => {
      await fc.assert(
        fc.asyncProperty(orders, convs, async (os, cs) => {
          const ws = await b.load(os, cs);
          for (const byPlatform of [false, true]) {
            const q = { from: FROM, to: TO, eventName: "Purchase", byPlatform };
            const got = await b.store.reconciliation.reconcile(ws, q);
            const want = reference(os, cs, byPlatform);
            for (const groupBy of byPlatform ? (["platform"] as const) : (["day", "month"] as const)) {
              const opts = { groupBy, timezone: "UTC", eventName: "Purchase", currency: "USD" };
              expect(reconciliationReport(got, opts)).toEqual(reconciliationReport(want, opts));
            }
          }
        }),
        {
          numRuns: 60,
          seed: 16,
          // An order whose id was tracked twice: long before the month and inside it.
          examples: [[[farOrder], [conv(0, FROM - 10 * DAY_MS, 5), conv(1, FROM + 2 * DAY_MS, 10)]]],
        },
      );
    }, 120_000);
  });
});
