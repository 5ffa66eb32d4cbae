/**
 * Dedup per API.md: same event_name and equal event_ids, or equal order_ids when at least one
 * of the two has no event_id; the later copy is a duplicate carrying the original's id, and is
 * never counted twice. (Dedup across a restart is in durability.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;

beforeAll(async () => {
  tally = await startInProcess();
});
afterAll(async () => {
  await tally?.cleanup();
});

/** A fresh workspace per test, so counts and keys never leak between tests. */
const fresh = (name: string): Promise<Ws> => createWorkspace(tally.url, ADMIN_TOKEN, name);

function purchase(ids: {
  event_id?: string | number;
  order_id?: string | number;
  event_name?: string;
}): Record<string, unknown> {
  return {
    event_name: ids.event_name ?? "Purchase",
    event_time: nowSeconds(),
    ...(ids.event_id !== undefined ? { event_id: ids.event_id } : {}),
    custom_data: {
      value: 10,
      currency: "USD",
      ...(ids.order_id !== undefined ? { order_id: ids.order_id } : {}),
    },
  };
}

async function conversionCount(ws: Ws): Promise<number> {
  const res = await ws.api("GET", "/v1/conversions?limit=1000");
  return res.body.data.length as number;
}

describe("the same event_id in 20 parallel requests", () => {
  it("is accepted exactly once; the 19 others are duplicates carrying the original's id", async () => {
    const ws = await fresh("Parallel");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        ws.api("POST", "/v1/events", { data: [purchase({ event_id: "order-parallel" })] }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const results = responses.map((r) => r.body.results[0] as { status: string; id: string });
    const accepted = results.filter((r) => r.status === "accepted");
    const duplicates = results.filter((r) => r.status === "duplicate");
    expect(accepted).toHaveLength(1);
    expect(duplicates).toHaveLength(19);
    for (const d of duplicates) expect(d.id).toBe(accepted[0]!.id);
    expect(await conversionCount(ws)).toBe(1);
    const report = await ws.api("GET", "/v1/reports/attribution");
    expect(report.body.unattributed).toEqual({ conversions: 1, value: 10 });
  });

  it("the same order_id (no event_id) in 20 parallel requests is accepted once too", async () => {
    const ws = await fresh("Parallel orders");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        ws.api("POST", "/v1/events", { data: [purchase({ order_id: "o-parallel" })] }),
      ),
    );
    const results = responses.map((r) => r.body.results[0] as { status: string; id: string });
    expect(results.filter((r) => r.status === "accepted")).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
  });
});

describe("dedup rules, one pair at a time", () => {
  type Ids = { event_id?: string | number; order_id?: string | number; event_name?: string };
  const pairs: { name: string; first: Ids; second: Ids; duplicate: boolean }[] = [
    { name: "equal event_ids", first: { event_id: "e1" }, second: { event_id: "e1" }, duplicate: true },
    {
      name: "equal event_ids, different order_ids",
      first: { event_id: "e1", order_id: "1" },
      second: { event_id: "e1", order_id: "2" },
      duplicate: true,
    },
    {
      name: "equal order_ids, neither has an event_id",
      first: { order_id: "1" },
      second: { order_id: "1" },
      duplicate: true,
    },
    {
      name: "equal order_ids, only the first has an event_id (server after browser)",
      first: { event_id: "e1", order_id: "1" },
      second: { order_id: "1" },
      duplicate: true,
    },
    {
      name: "equal order_ids, only the second has an event_id (browser after server)",
      first: { order_id: "1" },
      second: { event_id: "e2", order_id: "1" },
      duplicate: true,
    },
    {
      name: "equal order_ids, two different event_ids",
      first: { event_id: "e1", order_id: "1" },
      second: { event_id: "e2", order_id: "1" },
      duplicate: false,
    },
    {
      name: "different event_ids, no order_ids",
      first: { event_id: "e1" },
      second: { event_id: "e2" },
      duplicate: false,
    },
    { name: "different order_ids", first: { order_id: "1" }, second: { order_id: "2" }, duplicate: false },
    {
      name: "an event_id equal to the other's order_id",
      first: { event_id: "1" },
      second: { order_id: "1" },
      duplicate: false,
    },
    { name: "neither has an id", first: {}, second: {}, duplicate: false },
    {
      name: "an order_id sent as a number and as a string",
      first: { order_id: 1001 },
      second: { order_id: "1001" },
      duplicate: true,
    },
    {
      name: "an event_id sent as a number and as a string",
      first: { event_id: 77 },
      second: { event_id: "77" },
      duplicate: true,
    },
    {
      name: "equal event_ids of different event names",
      first: { event_id: "e1" },
      second: { event_id: "e1", event_name: "Lead" },
      duplicate: false,
    },
    {
      name: "equal order_ids of different event names",
      first: { order_id: "1" },
      second: { order_id: "1", event_name: "Lead" },
      duplicate: false,
    },
  ];

  it.each(pairs)("$name → duplicate: $duplicate", async ({ first, second, duplicate }) => {
    const ws = await fresh("Pairs");
    const a = await ws.api("POST", "/v1/events", { data: [purchase(first)] });
    expect(a.body.results[0].status).toBe("accepted");
    const b = await ws.api("POST", "/v1/events", { data: [purchase(second)] });
    if (duplicate) {
      expect(b.body.results[0]).toEqual({ index: 0, status: "duplicate", id: a.body.results[0].id });
      expect(b.body).toMatchObject({ received: 1, accepted: 0, duplicates: 1, rejected: 0 });
    } else {
      expect(b.body.results[0]).toMatchObject({ index: 0, status: "accepted" });
      expect(b.body.results[0].id).not.toBe(a.body.results[0].id);
    }
    expect(await conversionCount(ws)).toBe(duplicate ? 1 : 2);
  });

  it.each(pairs)("inside one batch: $name → duplicate: $duplicate", async ({ first, second, duplicate }) => {
    const ws = await fresh("Batch pairs");
    const res = await ws.api("POST", "/v1/events", { data: [purchase(first), purchase(second)] });
    const [a, b] = res.body.results;
    expect(a.status).toBe("accepted");
    if (duplicate) expect(b).toEqual({ index: 1, status: "duplicate", id: a.id });
    else expect(b.status).toBe("accepted");
  });

  it("a batch with the same event three times keeps one and answers two duplicates", async () => {
    const ws = await fresh("Triple");
    const res = await ws.api("POST", "/v1/events", {
      data: [purchase({ event_id: "t" }), purchase({ event_id: "t" }), purchase({ event_id: "t" })],
    });
    expect(res.body).toMatchObject({ received: 3, accepted: 1, duplicates: 2, rejected: 0 });
    const ids = new Set(res.body.results.map((r: { id: string }) => r.id));
    expect(ids.size).toBe(1);
  });

  it("a rejected event claims nothing: its valid resend is accepted", async () => {
    const ws = await fresh("Rejected first");
    const bad = await ws.api("POST", "/v1/events", {
      data: [{ event_name: "Purchase", event_time: nowSeconds(), event_id: "r1" }],
    });
    expect(bad.body.results[0].status).toBe("rejected");
    const good = await ws.api("POST", "/v1/events", { data: [purchase({ event_id: "r1" })] });
    expect(good.body.results[0].status).toBe("accepted");
  });

  it("test events never shadow real ones (and the reverse)", async () => {
    const ws = await fresh("Test events");
    const test = await ws.api("POST", "/v1/events", {
      data: [purchase({ event_id: "x1" })],
      test_event_code: "TEST42",
    });
    expect(test.body.results[0].status).toBe("accepted");
    const real = await ws.api("POST", "/v1/events", { data: [purchase({ event_id: "x1" })] });
    expect(real.body.results[0].status).toBe("accepted");
    const testAgain = await ws.api("POST", "/v1/events", {
      data: [purchase({ event_id: "x1" })],
      test_event_code: "TEST42",
    });
    expect(testAgain.body.results[0]).toMatchObject({ status: "duplicate", id: test.body.results[0].id });
    // Test events are kept out of conversions.
    expect(await conversionCount(ws)).toBe(1);
  });

  it("a duplicate is counted in the metrics' dedup rate, never as a second conversion", async () => {
    const ws = await fresh("Metrics");
    await ws.api("POST", "/v1/events", {
      data: [purchase({ event_id: "m1" }), purchase({ event_id: "m1" }), purchase({ event_id: "m2" })],
    });
    const m = await ws.api("GET", "/v1/metrics?bucket=hour");
    const total = (m.body.buckets as { conversions: number; duplicates: number }[]).reduce(
      (acc, b) => ({
        conversions: acc.conversions + b.conversions,
        duplicates: acc.duplicates + b.duplicates,
      }),
      { conversions: 0, duplicates: 0 },
    );
    expect(total).toEqual({ conversions: 2, duplicates: 1 });
  });

  // Known bug, reported (src/commit/steps/dedup.ts): a duplicate claims no dedup keys, so a third
  // copy that matches only the duplicate (B shares A's order_id; C shares B's event_id) is
  // accepted and the order counts twice. API.md: C and B have equal event_ids, so C is a
  // duplicate (of A). Drop `.fails` once duplicates also claim their keys for the original.
  it("a copy of a duplicate is a duplicate of the original", async () => {
    const ws = await fresh("Chain");
    const a = await ws.api("POST", "/v1/events", { data: [purchase({ order_id: "chain-1" })] }); // server: order id only
    const b = await ws.api("POST", "/v1/events", {
      data: [purchase({ event_id: "tag-1", order_id: "chain-1" })],
    }); // browser tag
    expect(b.body.results[0]).toMatchObject({ status: "duplicate", id: a.body.results[0].id });
    const c = await ws.api("POST", "/v1/events", { data: [purchase({ event_id: "tag-1" })] }); // the tag's retry, no order id
    expect(c.body.results[0]).toMatchObject({ status: "duplicate", id: a.body.results[0].id });
  });
});
