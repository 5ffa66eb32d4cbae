/**
 * Key rotation across two real Tally processes on one PostgreSQL schema (API.md: a key
 * created on one node applies on all before the creating request answers). Node B has the old
 * keys in its cache when node A rotates them: from A's answer on, B refuses the old key (no
 * grace) and takes the new one, and B's live-feed connections opened with the old secret key
 * close. Needs the built server (`node scripts/build.mjs`; `npm test` builds).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectLive } from "../realtime/live-client.js";
import { client, createWorkspace, startTally, type TallyProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";

const pgUp = await postgresAvailable("key rotation across nodes");
const ENCRYPTION_KEY = "2d".repeat(32);

const beacon = (url: string, pk: string) =>
  fetch(`${url}/t/collect?k=${pk}`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify({ events: [{ event_name: "PageView" }] }),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

async function until<T>(what: string, f: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!pgUp)("key rotation on two nodes", () => {
  let schema: TestSchema;
  let a: TallyProcess;
  let b: TallyProcess;

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "4" });
    const env = { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: ENCRYPTION_KEY };
    [a, b] = await Promise.all([startTally({ env }), startTally({ env })]);
  });
  afterAll(async () => {
    for (const n of [a, b]) {
      if (!n) continue;
      await n.stop();
      n.cleanup();
    }
    await schema?.drop();
  });

  it(
    "secret key, no grace: from A's answer on, B refuses the old key, takes the new one, and closes the old key's live feed",
    { timeout: 60_000 },
    async () => {
      const ws = await createWorkspace(a.url, a.adminToken, "Rotated on A");
      const oldOnB = client(b.url, ws.secret_key);
      expect((await oldOnB("GET", "/v1/workspace")).status).toBe(200); // B caches the old key
      const feed = await connectLive(`${b.url.replace(/^http/, "ws")}/v1/live?token=${ws.secret_key}`);

      const r = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "secret", grace_seconds: 0 });
      expect(r.status).toBe(200);
      const sk = r.body.secret_key as string;
      // At once, with nothing waited for: the answer came after every node's cache expired.
      expect((await oldOnB("GET", "/v1/workspace")).status).toBe(401);
      expect((await client(b.url, sk)("GET", "/v1/workspace")).body.id).toBe(ws.id);
      expect((await ws.api("GET", "/v1/workspace")).status).toBe(401);

      const closed = await feed.closed;
      expect(closed.code).toBe(4401);
    },
  );

  it(
    "public key, no grace: B refuses the old one and takes the new one at once, and shows the new one",
    { timeout: 60_000 },
    async () => {
      const ws = await createWorkspace(a.url, a.adminToken, "Public across");
      expect(await beacon(b.url, ws.public_key)).toBe(204);
      expect((await client(b.url, ws.secret_key)("GET", "/v1/workspace")).body.public_key).toBe(
        ws.public_key,
      );
      const r = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "public" });
      const pk = r.body.public_key as string;
      expect(await beacon(b.url, ws.public_key)).toBe(401);
      expect(await beacon(b.url, pk)).toBe(204);
      expect((await client(b.url, ws.secret_key)("GET", "/v1/workspace")).body.public_key).toBe(pk);
    },
  );

  it(
    "with a grace: the old key works on B until it ends, then B refuses it too",
    { timeout: 60_000 },
    async () => {
      const ws = await createWorkspace(a.url, a.adminToken, "Graceful across");
      const oldOnB = client(b.url, ws.secret_key);
      expect((await oldOnB("GET", "/v1/workspace")).status).toBe(200);
      const r = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "secret", grace_seconds: 4 });
      const expiresAt = Date.parse(r.body.old_key_expires_at as string);
      const during = await oldOnB("GET", "/v1/workspace");
      if (Date.now() < expiresAt) expect(during.status).toBe(200);
      await until("B to refuse the old key", async () =>
        (await oldOnB("GET", "/v1/workspace")).status === 401 ? true : null,
      );
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect((await client(b.url, r.body.secret_key as string)("GET", "/v1/workspace")).status).toBe(200);
    },
  );
});
