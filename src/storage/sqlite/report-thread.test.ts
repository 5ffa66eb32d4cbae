/**
 * The report thread on a real SQLite file: the long reports run beside the event loop (it
 * keeps turning, and the writer keeps committing, while a reconciliation of 100,000 orders
 * reads), give exactly what the same SQL gives on the calling thread, and fail or stop with
 * the store's error.
 */
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standardActions } from "../../domain/workspace.js";
import { StoreError, type Store } from "../storage.js";
import { sqliteBackend, type Backend } from "../../../test/helpers/stores.js";
import { reconcileSqlite } from "./reconciliation-store.js";
import { ReportThread } from "./report-thread.js";

const ROWS = 100_000;
const FROM = Date.UTC(2026, 2, 1);
const TO = Date.UTC(2026, 3, 1);
const SPAN = TO - FROM;

let backend: Backend;
let path: string;
let store: Store;
let ws: string;

beforeAll(async () => {
  backend = await sqliteBackend();
  store = backend.store;
  path = backend.path!;
  ws = (
    await store.createWorkspace(
      { name: "Shop", currency: "USD", timezone: "UTC" },
      { publicKey: `pk_reportthread${"x".repeat(12)}`, secretKeyHash: "7".repeat(64) },
      standardActions(),
    )
  ).id;
  // A month of orders and conversions, most matched, written straight into the tables.
  const db = new Database(path);
  db.pragma("busy_timeout = 5000");
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
    INSERT INTO crm_orders (workspace_id, order_id, event_name, time, value, currency, status, updated_at)
    SELECT '${ws}', 'o' || i, 'Purchase', ${FROM} + (i * 7919) % ${SPAN}, (i % 500) + 0.5, 'USD',
           CASE WHEN i % 20 = 0 THEN 'refunded' ELSE 'completed' END, 0 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
    INSERT INTO events (id, workspace_id, event_name, is_conversion, test_event_code, event_time, received_at,
                        order_id, value, currency, attributed, payload)
    SELECT printf('evt_%026d', i), '${ws}', 'Purchase', 1, NULL, ${FROM} + (i * 7919) % ${SPAN} + 60000,
           ${FROM} + (i * 7919) % ${SPAN} + 60000,
           CASE WHEN i % 10 = 0 THEN 'x' || i ELSE 'o' || i END, (i % 500) + CASE WHEN i % 7 = 0 THEN 9 ELSE 0.5 END,
           'USD', 0, '{}' FROM n;`);
  db.close();
}, 60_000);

afterAll(async () => {
  await backend.cleanup();
});

const q = { from: FROM, to: TO, eventName: "Purchase", byPlatform: false };

describe("report thread", () => {
  it("keeps the event loop turning and the writer committing while a long report reads", async () => {
    await store.reconciliation.reconcile(ws, q); // the thread is started and warm
    let turns = 0;
    let settled = false;
    const spin = (): void => {
      turns++;
      if (!settled) setImmediate(spin);
    };
    const report = store.reconciliation.reconcile(ws, q).finally(() => {
      settled = true;
    });
    setImmediate(spin);
    // On the calling thread's connection the report ran inside the call: not one turn, and a
    // workspace created after it could only finish after it.
    const created = store.createWorkspace(
      { name: "Beside", currency: "USD", timezone: "UTC" },
      { publicKey: `pk_reportbeside${"x".repeat(12)}`, secretKeyHash: "8".repeat(64) },
      standardActions(),
    );
    let createdFirst = false;
    await Promise.all([
      created.then(() => {
        createdFirst = !settled;
      }),
      report,
    ]);
    expect(turns).toBeGreaterThan(100);
    expect(createdFirst).toBe(true);
  });

  it("answers exactly what the same SQL answers on the calling thread", async () => {
    const db = new Database(path, { readonly: true });
    try {
      for (const byPlatform of [false, true]) {
        const mine = await store.reconciliation.reconcile(ws, { ...q, byPlatform });
        expect(mine).toEqual(reconcileSqlite(db, ws, { ...q, byPlatform }));
      }
      const sums = await store.reconciliation.reconcile(ws, q);
      expect(sums.reduce((n, s) => n + s.crmOrders, 0)).toBe(ROWS);
      expect(sums.reduce((n, s) => n + s.matchedOrders, 0)).toBe(ROWS * 0.9);
      const drill = await store.reconciliation.drill(ws, { ...q, kind: "missing", limit: 5 });
      expect(drill).toHaveLength(5);
      expect(drill.every((r) => Number(r.orderId?.slice(1)) % 10 === 0)).toBe(true);
    } finally {
      db.close();
    }
  });

  it("rejects a report that fails with the store's error, and keeps serving the next", async () => {
    const thread = new ReportThread(path);
    try {
      await expect(thread.run("nope" as never, [] as never)).rejects.toBeInstanceOf(StoreError);
      const sums = await thread.run("reconcile", [ws, q]);
      expect(sums.length).toBeGreaterThan(0);
    } finally {
      await thread.close();
    }
  });

  it("tries a thread that failed to start again on the next report", async () => {
    const later = join(dirname(path), "later.db");
    const thread = new ReportThread(later);
    try {
      // No file yet: the thread cannot open its connection.
      await expect(thread.run("reconcile", [ws, q])).rejects.toBeInstanceOf(StoreError);
      const db = new Database(path, { readonly: true });
      db.exec(`VACUUM INTO '${later}'`);
      db.close();
      expect((await thread.run("reconcile", [ws, q])).length).toBeGreaterThan(0);
    } finally {
      await thread.close();
    }
  });

  it("stops a report in flight on close, and refuses reports after it", async () => {
    const thread = new ReportThread(path);
    await thread.run("reconcile", [ws, q]);
    const inFlight = expect(thread.run("reconcile", [ws, q])).rejects.toBeInstanceOf(StoreError);
    await thread.close();
    await inFlight;
    await expect(thread.run("reconcile", [ws, q])).rejects.toThrow("closed");
  });
});
