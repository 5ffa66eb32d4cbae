/**
 * The server copy supersedes a browser copy (API.md, Events: Dedup). Anyone with the public
 * key can send a Purchase with a real order's event_id before the server does; the server's
 * copy (secret key) then replaces its value and data everywhere — reports, /v1/conversions,
 * metrics, the live feed and every destination (a destination that already took the browser's
 * copy receives the server's as an update with the same dedup id) — and still counts once.
 * Over real HTTP, on SQLite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeWebhook } from "../fakes/fake-webhook.js";
import { until, type FakeServer } from "../fakes/fake-server.js";
import { createDestination, deliveries, settled } from "../destinations/helpers.js";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { connectLive, type LiveClient } from "../realtime/live-client.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "../postgres/pg-test-db.js";

const pgUp = await postgresAvailable("the PostgreSQL half of the superseding tests");
const SECRET = "whsec_supersede_0123456789";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

describe.each([
  ["sqlite", false],
  ["postgres", !pgUp],
] as const)("superseding on %s", (backend, skip) => {
  describe.skipIf(skip)("", () => {
    let schema: TestSchema | null = null;
    let tally: Tally;
    let fake: FakeServer;

    beforeAll(async () => {
      if (backend === "postgres") schema = await createTestSchema({ pool_max: "6" });
      tally = await startInProcess({
        TALLY_OUTBOX_POLL_MS: "20",
        TALLY_ALLOW_PRIVATE_ENDPOINTS: "1",
        ...(schema ? { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: "5e".repeat(32) } : {}),
      });
      fake = await startFakeWebhook(SECRET);
    });
    afterAll(async () => {
      await tally?.cleanup();
      await fake?.close();
      await schema?.drop();
    });

    async function setup(name: string): Promise<{ ws: Ws; dest: string; live: LiveClient }> {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, name);
      const dest = await createDestination(ws.api, {
        type: "webhook",
        config: { url: fake.url, secret: SECRET, retry_base_ms: 20 },
      });
      const live = await connectLive(`${tally.url.replace("http", "ws")}/v1/live?token=${ws.secret_key}`);
      return { ws, dest, live };
    }

    const purchase = (eventId: string, value: number, extra: Record<string, unknown> = {}) => ({
      event_name: "Purchase",
      event_time: nowSeconds() - 5,
      event_id: eventId,
      custom_data: { value, currency: "USD", ...extra },
    });

    async function fromBrowser(ws: Ws, ev: Record<string, unknown>): Promise<void> {
      const res = await client(tally.url)("POST", `/t/collect?k=${ws.public_key}`, {
        events: [{ ...ev, user_data: { anonymous_id: "anon-forger" } }],
      });
      expect(res.status).toBe(204);
    }

    async function fromServer(ws: Ws, ev: Record<string, unknown>): Promise<{ status: string; id: string }> {
      const res = await ws.api("POST", "/v1/events", {
        data: [{ ...ev, user_data: { email: "buyer@example.com" }, consent: { ad_user_data: "granted" } }],
      });
      expect(res.status).toBe(200);
      return res.body.results[0] as { status: string; id: string };
    }

    /** What every reader says: one conversion with this value. */
    async function expectCountedOnce(ws: Ws, id: string, value: number, duplicates: number): Promise<void> {
      const convs = await ws.api("GET", "/v1/conversions?limit=100");
      expect(convs.body.data.map((c: { id: string; value: number }) => [c.id, c.value])).toEqual([
        [id, value],
      ]);
      const report = await ws.api("GET", "/v1/reports/attribution");
      expect(report.body.rows).toEqual([]);
      expect(report.body.unattributed).toEqual({ conversions: 1, value });
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const metrics = await ws.api("GET", `/v1/metrics?bucket=day&from=${encodeURIComponent(from)}`);
      const buckets = metrics.body.buckets as {
        conversions: number;
        value: number;
        duplicates: number;
        accepted: number;
      }[];
      const sum = (k: "conversions" | "value" | "duplicates") => buckets.reduce((n, b) => n + b[k], 0);
      expect(sum("conversions")).toBe(1);
      expect(sum("value")).toBeCloseTo(value, 6);
      expect(sum("duplicates")).toBe(duplicates);
    }

    it("browser 1 then server 99.99: reports, conversions, metrics, live feed and the destination show 99.99, counted once", async () => {
      const { ws, dest, live } = await setup("Forged first");
      try {
        await fromBrowser(ws, purchase("order-A", 1));
        const first = await live.waitFor((m) => m.type === "conversion", "the browser's conversion");
        const id = first.data.id as string;
        expect(first.data).toMatchObject({ value: 1, event_id: "order-A" });
        expect(first.data.superseded).toBeUndefined();
        // the destination took the browser's copy before the server's arrived
        const [sent] = await settled(ws.api, dest, 1);
        expect(sent).toMatchObject({ id, status: "delivered", event_id: "order-A" });

        const r = await fromServer(ws, purchase("order-A", 99.99));
        expect(r).toEqual({ index: 0, status: "duplicate", id });

        const update = await live.waitFor(
          (m) => m.type === "conversion" && m.data.superseded === true,
          "the superseding update",
        );
        expect(update.data).toMatchObject({
          id,
          value: 99.99,
          currency: "USD",
          event_id: "order-A",
          received_at: first.data.received_at,
          previous: { value: 1, currency: "USD" },
        });
        await expectCountedOnce(ws, id, 99.99, 1);

        // an update with the same dedup id: the fake now holds the server's copy
        const rows = await settled(ws.api, dest, 2);
        expect(rows.map((d) => [d.id, d.status, d.event_id])).toEqual([
          [id, "delivered", "order-A"],
          [id, "delivered", "order-A"],
        ]);
        const got = fake.accepted.filter((a) => a.id === "order-A");
        expect(got.map((a) => (a.event as { value: number }).value)).toEqual([1, 99.99]);
        expect(got[1]!.event).toMatchObject({ id, event_id: "order-A", value: 99.99, currency: "USD" });
        expect((got[1]!.event as { user_data: { em?: string } }).user_data.em).toMatch(/^[a-f0-9]{64}$/);
      } finally {
        live.close();
      }
    });

    it("server 99.99 then browser 1: the server's copy stays, sent once", async () => {
      const { ws, dest, live } = await setup("Server first");
      try {
        const r = await fromServer(ws, purchase("order-B", 99.99));
        expect(r.status).toBe("accepted");
        await settled(ws.api, dest, 1);
        await fromBrowser(ws, purchase("order-B", 1));
        // the browser copy's arrival is counted (a duplicate) before anything is checked
        await until(async () => {
          const m = await ws.api("GET", "/v1/metrics?bucket=day");
          return (m.body.buckets as { duplicates: number }[]).some((b) => b.duplicates === 1);
        }, "the browser copy counted as a duplicate");
        await expectCountedOnce(ws, r.id, 99.99, 1);
        expect(await deliveries(ws.api, dest)).toHaveLength(1);
        expect(
          fake.accepted.filter((a) => a.id === "order-B").map((a) => (a.event as { value: number }).value),
        ).toEqual([99.99]);
        expect(live.messages.filter((m) => m.type === "conversion").map((m) => m.data.value)).toEqual([
          99.99,
        ]);
      } finally {
        live.close();
      }
    });

    it("server 99.99 then server 5: the first server copy stays", async () => {
      const { ws, dest, live } = await setup("Server twice");
      try {
        const r = await fromServer(ws, purchase("order-C", 99.99));
        await settled(ws.api, dest, 1);
        expect(await fromServer(ws, purchase("order-C", 5))).toEqual({
          index: 0,
          status: "duplicate",
          id: r.id,
        });
        await expectCountedOnce(ws, r.id, 99.99, 1);
        expect(await deliveries(ws.api, dest)).toHaveLength(1);
        expect(live.messages.filter((m) => m.type === "conversion").map((m) => m.data.value)).toEqual([
          99.99,
        ]);
      } finally {
        live.close();
      }
    });

    it("a pixel copy is superseded too, and a matching order id (no event_id) is enough", async () => {
      const { ws, live } = await setup("Pixel first");
      try {
        const res = await client(tally.url)(
          "GET",
          `/t/p.gif?k=${ws.public_key}&en=Purchase&v=1&cur=USD&oid=1009&eid=order-D`,
        );
        expect(res.status).toBe(200);
        const first = await live.waitFor((m) => m.type === "conversion", "the pixel's conversion");
        const ev = {
          event_name: "Purchase",
          event_time: nowSeconds() - 5,
          custom_data: { value: 50, currency: "USD", order_id: "1009" },
        };
        expect(await fromServer(ws, ev)).toEqual({ index: 0, status: "duplicate", id: first.data.id });
        await expectCountedOnce(ws, first.data.id as string, 50, 1);
      } finally {
        live.close();
      }
    });
  });
});
