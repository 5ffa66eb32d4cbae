/**
 * PostgreSQL goes away under load and comes back: the node answers 503 + Retry-After (never
 * a 200 it could not keep, never a hang), /readyz says so, and it recovers without a restart.
 * Every event acknowledged with a 200 — before, during or after the outage — is there after.
 * The shared database is not stopped: a TCP proxy between the node and it is cut instead.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { client, createWorkspace, nowSeconds, startTally, type TallyProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";
import { hostPortOf, startTcpProxy, viaProxy, type TcpProxy } from "./tcp-proxy.js";

const pgUp = await postgresAvailable("the PostgreSQL outage tests");

async function until<T>(what: string, f: () => T | null | Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!pgUp)("PostgreSQL outage", () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  let node: TallyProcess;

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "4" });
    const { host, port } = hostPortOf(schema.url);
    proxy = await startTcpProxy(host, port);
    node = await startTally({
      env: { TALLY_DATABASE_URL: viaProxy(schema.url, proxy), TALLY_ENCRYPTION_KEY: "1e".repeat(32) },
    });
  });
  afterAll(async () => {
    proxy?.restore();
    if (node) {
      await node.stop();
      node.cleanup();
    }
    await proxy?.close();
    await schema?.drop();
  });

  it("answers 503 with Retry-After while the database is gone, recovers by itself, and loses nothing it acknowledged", async () => {
    onTestFailed(() => console.log(`node output:\n${node.output()}`));
    const ws = await createWorkspace(node.url, node.adminToken, "Outage");
    const acked = new Map<string, string>(); // event_id → Tally id, for every 200 "accepted"
    const statuses = new Map<number, number>();
    let seq = 0;
    let running = true;
    // Four senders in a loop, like clients that keep posting through the outage.
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (running) {
          const eventId = `o-${seq++}`;
          const res = await ws.api("POST", "/v1/events", {
            data: [
              {
                event_name: "Purchase",
                event_time: nowSeconds(),
                event_id: eventId,
                action_source: "website",
                custom_data: { value: 1, currency: "USD" },
              },
            ],
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200 && res.body.results[0].status === "accepted")
            acked.set(eventId, res.body.results[0].id);
          else if (res.status !== 503)
            throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
          else await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );

    await until("some events acknowledged", () => (acked.size >= 20 ? true : null));
    proxy.cut();

    const ready = await until("/readyz to report the outage", async () => {
      const r = await fetch(`${node.url}/readyz`);
      return r.status === 503 ? r : null;
    });
    expect(ready.headers.get("retry-after")).toBeTruthy();
    const refused = await until("an ingest request refused with 503", async () => {
      const r = await ws.api("POST", "/v1/events", {
        data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "during-outage" }],
      });
      return r.status === 503 ? r : null;
    });
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(refused.body.error.code).toBe("not_ready");

    const before = acked.size;
    proxy.restore();
    await until("/readyz to recover", async () =>
      (await fetch(`${node.url}/readyz`)).status === 200 ? true : null,
    );
    await until("new events acknowledged after recovery", () => (acked.size >= before + 20 ? true : null));
    running = false;
    await load;
    expect(statuses.get(503)).toBeGreaterThan(0);

    // Everything acknowledged is stored, exactly once.
    const listed = new Set<string>();
    let cursor: string | null = null;
    const api = client(node.url, ws.secret_key);
    do {
      const page = await api(
        "GET",
        `/v1/conversions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(page.status).toBe(200);
      for (const c of page.body.data as { id: string }[]) listed.add(c.id);
      cursor = page.body.next_cursor;
    } while (cursor);
    const missing = [...acked.values()].filter((id) => !listed.has(id));
    expect(missing).toEqual([]);
  });
});
