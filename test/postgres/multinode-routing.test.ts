/**
 * A destination created on one node applies on every node before the creating request
 * answers (API.md, Running: TALLY_DATABASE_URL): the commit routes each event from the
 * destinations in the database, under a per-workspace advisory lock, so a conversion another
 * node accepts right after the creation is never left without an outbox row. Two real Tally
 * processes on one PostgreSQL schema and a local fake webhook. Needs the built server.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startFakeWebhook } from "../fakes/fake-webhook.js";
import { until, type FakeServer } from "../fakes/fake-server.js";
import { createDestination, deliveries } from "../destinations/helpers.js";
import { client, createWorkspace, nowSeconds, startTally, type TallyProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";

const pgUp = await postgresAvailable("the multi-node routing tests");
const ENCRYPTION_KEY = "0f".repeat(32);
const SECRET = "whsec_multinode_0123456789";

const lead = (eventId: string) => ({
  event_name: "Lead",
  event_time: nowSeconds() - 5,
  event_id: eventId,
  user_data: { external_id: `crm-${eventId}` },
});

describe.skipIf(!pgUp)("destinations across nodes", () => {
  let schema: TestSchema;
  let a: TallyProcess;
  let b: TallyProcess;
  let fake: FakeServer;

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "6" });
    const env = {
      TALLY_DATABASE_URL: schema.url,
      TALLY_ENCRYPTION_KEY: ENCRYPTION_KEY,
      TALLY_ALLOW_PRIVATE_ENDPOINTS: "1",
      TALLY_OUTBOX_POLL_MS: "50",
    };
    [a, b] = await Promise.all([startTally({ env }), startTally({ env })]);
    fake = await startFakeWebhook(SECRET);
  });
  afterAll(async () => {
    for (const n of [a, b]) {
      if (!n) continue;
      await n.stop();
      n.cleanup();
    }
    await fake?.close();
    await schema?.drop();
  });

  it("a destination created on node A gets every conversion node B accepts from then on", async () => {
    onTestFailed(() => console.log(`node A:\n${a.output()}\nnode B:\n${b.output()}`));
    const ws = await createWorkspace(a.url, a.adminToken, "Two nodes");
    const onB = client(b.url, ws.secret_key);
    const send = async (id: string) => {
      const res = await onB("POST", "/v1/events", { data: [lead(id)] });
      expect(res.status).toBe(200);
      expect(res.body.results[0].status).toBe("accepted");
      return res.body.results[0].id as string;
    };
    // B is busy with the workspace before, during and after the creation on A.
    let sending = true;
    let n = 0;
    const flood = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sending) await send(`during-${n++}`);
      }),
    );
    await until(() => n >= 8, "the flood under way");
    const dest = await createDestination(ws.api, {
      type: "webhook",
      config: { url: fake.url, secret: SECRET, retry_base_ms: 20 },
    });
    sending = false;
    await flood;
    // Sent to B only once A has answered 201: each must have a delivery.
    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => send(`after-${i}`)));

    let rows: Awaited<ReturnType<typeof deliveries>> = [];
    await until(async () => {
      rows = await deliveries(ws.api, dest);
      return after.every((id) => rows.some((r) => r.id === id && r.status === "delivered"));
    }, "a delivered row for each conversion sent to B after the creation");
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length); // one row per event
    // Every row written (some of the flood may have committed after the creation, too) is sent.
    await until(
      () => rows.every((r) => fake.accepted.some((x) => x.id === r.event_id)),
      "every routed conversion at the fake",
    );
    for (let i = 0; i < 40; i++) expect(fake.accepted.some((x) => x.id === `after-${i}`)).toBe(true);
  });

  it("node B starts its own worker for a destination created on A (A gone right after)", async () => {
    onTestFailed(() => console.log(`node B:\n${b.output()}`));
    const ws = await createWorkspace(a.url, a.adminToken, "A leaves");
    const dest = await createDestination(ws.api, {
      type: "webhook",
      config: { url: fake.url, secret: SECRET, retry_base_ms: 20 },
    });
    expect(await a.stop()).toBe(0);
    const onB = client(b.url, ws.secret_key);
    const ids = Array.from({ length: 10 }, (_, i) => `solo-${i}`);
    const res = await onB("POST", "/v1/events", { data: ids.map(lead) });
    expect(res.body.accepted).toBe(10);
    await until(
      async () => (await deliveries(onB, dest, "delivered")).length === 10,
      "node B delivering the rows by itself",
    );
    for (const id of ids) expect(fake.accepted.some((x) => x.id === id)).toBe(true);
  });
});
