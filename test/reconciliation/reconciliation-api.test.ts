/**
 * CRM orders, the reconciliation report and adjustments over HTTP, on the embedded store and on
 * PostgreSQL: rows answered one by one (bad ones naming the field), a repeat changing nothing,
 * refunds retracting and other values restating the conversion, reports using the current
 * value while the reconciliation compares the tracked one, adjustments by hand (not_found,
 * duplicates) and their history.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, postgresAvailable, type TestSchema } from "../postgres/pg-test-db.js";
import { createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

const pgUp = await postgresAvailable("the PostgreSQL run of the reconciliation API tests");
type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

const iso = (s: number) => new Date(s * 1000).toISOString();

/** Three tracked purchases with order ids A-1…A-3 (values 100, 80, 50) and one without. */
async function track(ws: Ws, t: number) {
  const res = await ws.api("POST", "/v1/events", {
    data: [
      ["A-1", 100],
      ["A-2", 80],
      ["A-3", 50],
      [null, 20],
    ].map(([order, value], i) => ({
      event_name: "Purchase",
      event_time: t - 60 + i,
      user_data: { external_id: `c-${i}` },
      custom_data: { value, currency: "USD", ...(order ? { order_id: order } : {}) },
    })),
  });
  expect(res.body.accepted).toBe(4);
  return (res.body.results as { id: string }[]).map((r) => r.id);
}

describe.each([
  ["sqlite", false],
  ["postgres", !pgUp],
] as const)("reconciliation on %s", (backend, skip) => {
  describe.skipIf(skip)("", () => {
    let tally: Tally;
    let schema: TestSchema | null = null;
    beforeAll(async () => {
      if (backend === "postgres") schema = await createTestSchema();
      tally = await startInProcess(schema ? { TALLY_DATABASE_URL: schema.url } : {});
    });
    afterAll(async () => {
      await tally?.cleanup();
      await schema?.drop();
    });

    it("takes CRM rows one by one: bad rows rejected naming the field, the rest kept", async () => {
      const ws = await createWorkspace(tally.url);
      const t = nowSeconds();
      const res = await ws.api("POST", "/v1/crm/orders", {
        data: [
          { order_id: "B-1", time: t - 100, value: 10, status: "completed" },
          { time: t - 100, value: 10, status: "completed" },
          { order_id: "B-2", time: t - 100, value: "ten", status: "completed" },
          { order_id: "B-3", time: t - 100, value: 10, status: "shipped" },
          { order_id: "B-4", time: t - 100, value: 10, currency: "ZZZ", status: "completed" },
          { order_id: "B-5", time: "yesterday", value: 10, status: "completed" },
          { order_id: "B-6", time: iso(t - 50), value: 12.5, currency: "eur", status: "Refunded" },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 7, accepted: 2, rejected: 5 });
      const fields = (res.body.results as { status: string; error?: { code: string; field: string } }[]).map(
        (r) => (r.status === "rejected" ? `${r.error!.code} ${r.error!.field}` : r.status),
      );
      expect(fields).toEqual([
        "accepted",
        "missing_field order_id",
        "invalid_field value",
        "invalid_field status",
        "invalid_field currency",
        "invalid_field time",
        "accepted",
      ]);
      const empty = await ws.api("POST", "/v1/crm/orders", { data: [] });
      expect(empty.status).toBe(422);
    });

    it("reconciles: matched, missing, unconfirmed, mismatches, refunds; adjusts the conversions", async () => {
      const ws = await createWorkspace(tally.url);
      const t = nowSeconds();
      const [c1, c2, c3] = await track(ws, t);
      const orders = [
        { order_id: "A-1", time: t - 70, value: 100, status: "refunded" },
        { order_id: "A-2", time: t - 70, value: 70, status: "completed" },
        { order_id: "A-3", time: t - 70, value: 50, status: "completed" },
        { order_id: "A-4", time: t - 70, value: 30, status: "completed" },
      ];
      const first = await ws.api("POST", "/v1/crm/orders", { data: orders });
      expect(first.body.accepted).toBe(4);
      const adj = (first.body.results as { adjustment?: { type: string; conversion_id: string } }[]).map(
        (r) => r.adjustment ?? null,
      );
      expect(adj[0]).toMatchObject({ type: "retract", conversion_id: c1 });
      expect(adj[1]).toMatchObject({ type: "restate", conversion_id: c2 });
      expect(adj[2]).toBeNull();
      expect(adj[3]).toBeNull();

      // Repeating the import changes nothing.
      const again = await ws.api("POST", "/v1/crm/orders", { data: orders });
      expect(again.body.accepted).toBe(4);
      expect(
        (again.body.results as { adjustment?: unknown }[]).every((r) => r.adjustment === undefined),
      ).toBe(true);

      const range = `from=${iso(t - 3600)}&to=${iso(t + 60)}`;
      const rep = await ws.api("GET", `/v1/reports/reconciliation?${range}&group_by=day`);
      expect(rep.status).toBe(200);
      expect(rep.body).toMatchObject({
        event_name: "Purchase",
        crm: { orders: 4, value: 250 },
        tracked: { conversions: 4, value: 250 },
        matched: { orders: 3, crm_value: 220, tracked_value: 230 },
        missing: { orders: 1, value: 30 },
        unconfirmed: { conversions: 1, value: 20 },
        value_mismatch: { orders: 1, difference: -10 },
        refunded: { orders: 1, value: 100 },
        match_rate: 0.75,
      });
      expect(rep.body.rows).toHaveLength(1);
      expect(rep.body.rows[0]).toMatchObject({ crm: { orders: 4 }, match_rate: 0.75 });
      const byPlatform = await ws.api("GET", `/v1/reports/reconciliation?${range}&group_by=platform`);
      expect(byPlatform.body.rows).toEqual([
        expect.objectContaining({ key: "unattributed", match_rate: 0.75 }),
      ]);

      const missing = await ws.api("GET", `/v1/reports/reconciliation/orders?${range}&kind=missing`);
      expect(missing.body.data).toEqual([
        expect.objectContaining({ order_id: "A-4", value: 30, conversion_id: null }),
      ]);
      const unconfirmed = await ws.api("GET", `/v1/reports/reconciliation/orders?${range}&kind=unconfirmed`);
      expect(unconfirmed.body.data).toEqual([expect.objectContaining({ order_id: null, value: 20 })]);
      expect(JSON.stringify(unconfirmed.body)).not.toContain("c-3");

      // Reports use the current value: A-1 retracted (0), A-2 restated to 70.
      const attr = await ws.api("GET", `/v1/reports/attribution?${range}&group_by=platform`);
      expect(attr.body.unattributed).toEqual({ conversions: 3, value: 140 });

      // The history.
      const history = await tally.deps.store.adjustmentsOf(ws.id, c2!);
      expect(history).toEqual([
        expect.objectContaining({ type: "restate", value: 70, previousValue: 80, source: "crm" }),
      ]);
      const ledger = await ws.api("GET", `/v1/conversions/${c2}`);
      expect(ledger.body.adjustments).toEqual([
        expect.objectContaining({
          type: "restate",
          value: 70,
          previous_value: 80,
          source: "crm",
          order_id: "A-2",
        }),
      ]);

      // By hand: unknown → not_found; a duplicate; a restatement; a retracted one cannot be restated.
      const manual = await ws.api("POST", "/v1/adjustments", {
        data: [
          { order_id: "nope", type: "retract" },
          { conversion_id: "evt_00000000000000000000000000", type: "retract" },
          { order_id: "A-1", type: "retract" },
          { conversion_id: c3, type: "restate", value: 45.5 },
          { order_id: "A-1", type: "restate", value: 5 },
          { order_id: "A-2", type: "restate" },
          { type: "retract" },
        ],
      });
      expect(manual.status).toBe(200);
      const r = manual.body.results as {
        status: string;
        error?: { code: string; field: string; status_code?: number };
      }[];
      expect(r.map((x) => (x.error ? `${x.error.code} ${x.error.field}` : x.status))).toEqual([
        "not_found order_id",
        "not_found conversion_id",
        "duplicate",
        "accepted",
        "invalid_field type",
        "missing_field value",
        "missing_field order_id",
      ]);
      expect(r[0]!.error!.status_code).toBe(404);
      expect(manual.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 5 });
      const twice = await ws.api("POST", "/v1/adjustments", {
        data: [{ conversion_id: c3, type: "restate", value: 45.5 }],
      });
      expect(twice.body.results[0].status).toBe("duplicate");

      const after = await ws.api("GET", `/v1/reports/attribution?${range}&group_by=platform`);
      expect(after.body.unattributed).toEqual({ conversions: 3, value: 135.5 });
      // The reconciliation still compares the values as tracked.
      const rep2 = await ws.api("GET", `/v1/reports/reconciliation?${range}`);
      expect(rep2.body.matched).toEqual({ orders: 3, crm_value: 220, tracked_value: 230 });
      // Metrics: the rollups moved (3 conversions left, 135.5).
      const m = await ws.api("GET", `/v1/metrics?from=${iso(t - 3600)}&to=${iso(t + 120)}&bucket=hour`);
      const sum = (k: string) =>
        (m.body.buckets as Record<string, number>[]).reduce((a, b) => a + (b[k] ?? 0), 0);
      expect(sum("conversions")).toBe(3);
      expect(sum("value")).toBeCloseTo(135.5, 6);
    });

    it("matches an order and its conversion however far apart their times are", async () => {
      const ws = await createWorkspace(tally.url);
      const t = nowSeconds();
      await track(ws, t);
      const day = 86_400;
      await ws.api("POST", "/v1/crm/orders", {
        data: [{ order_id: "A-1", time: t - 20 * day, value: 100, status: "completed" }],
      });
      const old = await ws.api(
        "GET",
        `/v1/reports/reconciliation?from=${iso(t - 21 * day)}&to=${iso(t - 19 * day)}&group_by=platform`,
      );
      expect(old.body).toMatchObject({
        crm: { orders: 1 },
        matched: { orders: 1, tracked_value: 100 },
        tracked: { conversions: 0 },
      });
      const now = await ws.api("GET", `/v1/reports/reconciliation?from=${iso(t - 3600)}&to=${iso(t + 60)}`);
      expect(now.body).toMatchObject({
        crm: { orders: 0 },
        tracked: { conversions: 4 },
        unconfirmed: { conversions: 3 },
      });
    });

    it("reports by month in the workspace's timezone, with a null match rate without orders", async () => {
      const ws = await createWorkspace(tally.url);
      const t = nowSeconds();
      await track(ws, t);
      const rep = await ws.api(
        "GET",
        `/v1/reports/reconciliation?from=${iso(t - 3600)}&to=${iso(t + 60)}&group_by=month`,
      );
      expect(rep.body).toMatchObject({ crm: { orders: 0 }, tracked: { conversions: 4 }, match_rate: null });
      expect(rep.body.rows).toEqual([expect.objectContaining({ key: new Date().toISOString().slice(0, 7) })]);
      const bad = await ws.api("GET", "/v1/reports/reconciliation?group_by=week");
      expect(bad.status).toBe(400);
    });
  });
});
