/**
 * Key rotation (API.md, Conventions): `POST /v1/workspace/keys/rotate` gives a new public or
 * secret key; the old one keeps working for `grace_seconds`, then is 401; a live-feed
 * connection opened with a rotated-out secret key closes once its grace ends. On the real
 * server, on SQLite and on PostgreSQL. (Two nodes: test/postgres/key-rotation-multinode.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectLive } from "../realtime/live-client.js";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "../postgres/pg-test-db.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

const pgUp = await postgresAvailable("key rotation on PostgreSQL");

async function until<T>(what: string, f: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const beacon = (url: string, pk: string) =>
  fetch(`${url}/t/collect?k=${pk}`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify({ events: [{ event_name: "PageView" }] }),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

describe.each([
  ["sqlite", false],
  ["postgres", !pgUp],
] as const)("key rotation on %s", (backend, skip) => {
  describe.skipIf(skip)("", () => {
    let tally: Tally;
    let schema: TestSchema | null = null;
    beforeAll(async () => {
      if (backend === "postgres") schema = await createTestSchema({ pool_max: "4" });
      tally = await startInProcess(
        schema ? { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: "1e".repeat(32) } : {},
      );
    });
    afterAll(async () => {
      await tally?.cleanup();
      await schema?.drop();
    });

    it("refuses nonsense with 422 naming the field, a public key with 403, no key with 401", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Strict");
      const rotate = (body: unknown) => ws.api("POST", "/v1/workspace/keys/rotate", body);
      for (const [body, field] of [
        [{}, "key"],
        [{ key: "admin" }, "key"],
        [{ key: ["public"] }, "key"],
        [{ key: "public", grace_seconds: -1 }, "grace_seconds"],
        [{ key: "public", grace_seconds: 1.5 }, "grace_seconds"],
        [{ key: "public", grace_seconds: 604_801 }, "grace_seconds"],
        [{ key: "public", grace_seconds: "60" }, "grace_seconds"],
        [{ key: "public", grace_seconds: null }, "grace_seconds"],
        [{ key: "secret", grace_seconds: 1e21 }, "grace_seconds"],
        [{ key: "public", gracePeriod: 60 }, "gracePeriod"],
      ] as const) {
        const r = await rotate(body);
        expectError(r, 422, "validation_failed");
        expect(r.body.error.details.field, JSON.stringify(body)).toBe(field);
      }
      expectError(await rotate("[]"), 400, "invalid_body");
      expectError(
        await client(tally.url, ws.public_key)("POST", "/v1/workspace/keys/rotate", { key: "public" }),
        403,
        "key_not_allowed",
      );
      expectError(
        await client(tally.url)("POST", "/v1/workspace/keys/rotate", { key: "public" }),
        401,
        "missing_key",
      );
      // Nothing was rotated by any of it.
      expect((await ws.api("GET", "/v1/workspace")).body.public_key).toBe(ws.public_key);
      expect(await beacon(tally.url, ws.public_key)).toBe(204);
    });

    it("public key, no grace: the new one works at once, the old one is 401 from the answer on", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Public");
      expect(await beacon(tally.url, ws.public_key)).toBe(204); // cached now
      const r = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "public" });
      expect(r.status).toBe(200);
      expect(Object.keys(r.body).sort()).toEqual(["old_key_expires_at", "public_key"]);
      const pk = r.body.public_key as string;
      expect(pk).toMatch(/^pk_[A-Za-z0-9_-]{16,64}$/);
      expect(pk).not.toBe(ws.public_key);
      expect(await beacon(tally.url, ws.public_key)).toBe(401);
      expect(await beacon(tally.url, pk)).toBe(204);
      expect((await ws.api("GET", "/v1/workspace")).body.public_key).toBe(pk);
      const pixel = await fetch(`${tally.url}/t/p.gif?k=${ws.public_key}`);
      expect(pixel.status).toBe(401);
    });

    it(
      "secret key with a grace: both keys work until it ends, then the old one is 401 and its live feed closes",
      { timeout: 60_000 },
      async () => {
        const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Secret");
        const wsUrl = tally.url.replace(/^http/, "ws");
        const feed = await connectLive(`${wsUrl}/v1/live?token=${ws.secret_key}`);
        const grace = 3;
        const r = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "secret", grace_seconds: grace });
        const answeredAt = Date.now();
        expect(r.status).toBe(200);
        expect(Object.keys(r.body).sort()).toEqual(["old_key_expires_at", "secret_key"]);
        const sk = r.body.secret_key as string;
        expect(sk).toMatch(/^sk_[A-Za-z0-9_-]{32,64}$/);
        const expiresAt = Date.parse(r.body.old_key_expires_at as string);
        expect(expiresAt).toBeGreaterThanOrEqual(answeredAt + grace * 1000 - 1000);

        const fresh = client(tally.url, sk);
        expect((await fresh("GET", "/v1/workspace")).body.id).toBe(ws.id);
        const oldOne = await ws.api("GET", "/v1/workspace");
        if (Date.now() < answeredAt + grace * 1000) expect(oldOne.status).toBe(200);
        const ev = await ws.api("POST", "/v1/events", {
          data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "during-grace" }],
        });
        if (Date.now() < answeredAt + grace * 1000) expect(ev.body.accepted).toBe(1);

        await until("the old secret key to be refused", async () =>
          (await ws.api("GET", "/v1/workspace")).status === 401 ? true : null,
        );
        // Never before the end the answer gave it (its grace after the answer).
        expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
        expectError(await ws.api("GET", "/v1/workspace"), 401, "unknown_key");
        const closed = await feed.closed;
        expect(closed.code).toBe(4401);
        expect(closed.reason).toContain("rotated");
        // The new key opens the feed.
        const again = await connectLive(`${wsUrl}/v1/live?token=${sk}`);
        again.close();
        expect((await fresh("GET", "/v1/workspace")).status).toBe(200);
      },
    );

    it("a later rotation cuts an earlier grace short: a rotation never extends one", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Twice");
      const first = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "public", grace_seconds: 3600 });
      expect(await beacon(tally.url, ws.public_key)).toBe(204); // in its hour of grace
      const second = await ws.api("POST", "/v1/workspace/keys/rotate", { key: "public", grace_seconds: 0 });
      expect(second.status).toBe(200);
      expect(await beacon(tally.url, ws.public_key)).toBe(401);
      expect(await beacon(tally.url, first.body.public_key as string)).toBe(401);
      expect(await beacon(tally.url, second.body.public_key as string)).toBe(204);
    });

    it("the dashboard (admin session or token with X-Tally-Workspace) may rotate too", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Admin rotates");
      const r = await client(tally.url, ADMIN_TOKEN)(
        "POST",
        "/v1/workspace/keys/rotate",
        { key: "secret" },
        { "x-tally-workspace": ws.id },
      );
      expect(r.status).toBe(200);
      expect((await client(tally.url, r.body.secret_key as string)("GET", "/v1/workspace")).status).toBe(200);
      expect((await ws.api("GET", "/v1/workspace")).status).toBe(401);
    });
  });
});
