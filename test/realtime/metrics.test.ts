// GET /v1/metrics and the live `metrics` message add up exactly over a known sequence:
// accepted, duplicates, rejected, test events (counted nowhere) and imported clicks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { connectLive } from "./live-client.js";

const COUNTS = ["received", "accepted", "conversions", "value", "clicks", "duplicates", "rejected"] as const;
type Bucket = Record<(typeof COUNTS)[number], number> &
  Record<"conversion_rate" | "dedup_rate" | "error_rate", number | null>;

describe("metrics over a known sequence", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let other: Awaited<ReturnType<typeof createWorkspace>>;

  beforeAll(async () => {
    t = await startInProcess();
    ws = await createWorkspace(t.url, ADMIN_TOKEN, "Counted");
    other = await createWorkspace(t.url, ADMIN_TOKEN, "Elsewhere");
    const now = nowSeconds();

    // 4 clicks, plus a re-import of one of them (same touch_id: not counted twice).
    const clicks = await ws.api("POST", "/v1/clicks", {
      data: [
        { time: now - 60, platform: "google", campaign: "c1", gclid: "g-1", touch_id: "t1" },
        { time: now - 50, platform: "google", campaign: "c1", gclid: "g-2", touch_id: "t2" },
        { time: now - 40, platform: "meta", campaign: "c2", fbclid: "f-1", touch_id: "t3" },
        { time: now - 30, platform: "meta", campaign: "c2", fbclid: "f-2", touch_id: "t4" },
        { time: now - 60, platform: "google", campaign: "c1", gclid: "g-1", touch_id: "t1" },
      ],
    });
    expect(clicks.body).toMatchObject({ accepted: 4, duplicates: 1 });

    // 7 received: 3 purchases, 1 PageView (accepted, not a conversion), 1 duplicate, 2 rejected.
    const events = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "o1",
          custom_data: { value: 10, currency: "USD" },
          user_data: { gclid: "g-1" },
        },
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "o2",
          custom_data: { value: 20, currency: "USD" },
        },
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "o3",
          custom_data: { value: 30.5, currency: "USD" },
        },
        { event_name: "PageView", event_time: now },
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "o1",
          custom_data: { value: 10, currency: "USD" },
        },
        { event_name: "Purchase", event_time: now, event_id: "o4", custom_data: { currency: "USD" } },
        { event_name: "Nope", event_time: now },
      ],
    });
    expect(events.body).toMatchObject({ received: 7, accepted: 4, duplicates: 1, rejected: 2 });

    // Test events, accepted and rejected, and another workspace's traffic: counted nowhere here.
    const test = await ws.api("POST", "/v1/events", {
      test_event_code: "TEST1",
      data: [
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "t-o1",
          custom_data: { value: 99, currency: "USD" },
          user_data: { gclid: "g-test" },
        },
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "t-o1",
          custom_data: { value: 99, currency: "USD" },
        },
        { event_name: "Nope", event_time: now },
      ],
    });
    expect(test.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 1 });
    await other.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: now,
          event_id: "x",
          custom_data: { value: 5, currency: "USD" },
        },
      ],
    });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const expected = {
    received: 7,
    accepted: 4,
    conversions: 3,
    value: 60.5,
    clicks: 4,
    duplicates: 1,
    rejected: 2,
  };

  it.each(["minute", "hour", "day"] as const)("per %s", async (bucket) => {
    const res = await ws.api("GET", `/v1/metrics?bucket=${bucket}`);
    expect(res.status).toBe(200);
    const buckets = res.body.buckets as Bucket[];
    const sum = Object.fromEntries(COUNTS.map((k) => [k, buckets.reduce((s, b) => s + b[k], 0)]));
    expect(sum).toEqual(expected);
    // Every bucket's ratios follow from its own counts (a bucket boundary may split the sequence).
    for (const b of buckets) {
      const c = b;
      expect(b.conversion_rate).toBe(
        c.clicks === 0 ? null : Math.round((c.conversions / c.clicks) * 1e6) / 1e6,
      );
      expect(b.dedup_rate).toBe(
        c.accepted + c.duplicates === 0
          ? null
          : Math.round((c.duplicates / (c.accepted + c.duplicates)) * 1e6) / 1e6,
      );
      expect(b.error_rate).toBe(c.received === 0 ? null : Math.round((c.rejected / c.received) * 1e6) / 1e6);
    }
    const busy = buckets.filter((b) => b.received > 0 || b.clicks > 0);
    if (busy.length === 1)
      expect(busy[0]).toMatchObject({ conversion_rate: 0.75, dedup_rate: 0.2, error_rate: 0.285714 });
  });

  it("the live metrics message matches the current hour's bucket", async () => {
    const hour = (await ws.api("GET", "/v1/metrics?bucket=hour")).body.buckets.at(-1);
    const sub = await connectLive(`${t.url.replace(/^http/, "ws")}/v1/live?token=${ws.secret_key}`);
    const m = await sub.waitFor(
      (m) => m.type === "metrics" && m.data.start === hour.start,
      "metrics for this hour",
    );
    for (const k of [...COUNTS, "conversion_rate", "dedup_rate", "error_rate"])
      expect(m.data[k]).toBe(hour[k]);
    sub.close();
  });

  it("records latency (event time → live feed) for the conversions", async () => {
    // The pipeline's latency samples reach the rollups within a second of publishing.
    let hour: Record<string, unknown> | undefined;
    for (let i = 0; i < 50; i++) {
      hour = (await ws.api("GET", "/v1/metrics?bucket=hour")).body.buckets.at(-1);
      if (hour?.latency_ms_p95 !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(hour?.latency_ms_p50).toEqual(expect.any(Number));
    expect(hour?.pipeline_ms_p95).toEqual(expect.any(Number));
  });
});
