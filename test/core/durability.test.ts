/**
 * "A 200 means durably stored": the built server as a child process, killed with SIGKILL or
 * stopped with SIGTERM while requests are in flight, then started again on the same data
 * folder. Everything acknowledged must be there, and dedup must remember across the restart.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/main.js";
import {
  ADMIN_TOKEN,
  client,
  createWorkspace,
  freePort,
  nowSeconds,
  startTally,
  tempDataDir,
  type TallyProcess,
} from "../helpers/server.js";
import { BUILD_TIMEOUT_MS, ensureBuilt } from "./ensure-built.js";
import { expectError } from "./expect-error.js";
import { postHead, RawConnection, untilRefused } from "./raw-http.js";

type Ws = Awaited<ReturnType<typeof createWorkspace>>;

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

const procs: TallyProcess[] = [];
async function start(dataDir?: string): Promise<TallyProcess> {
  const p = await startTally(dataDir ? { dataDir } : {});
  procs.push(p);
  return p;
}
afterEach(async () => {
  const done = procs.splice(0);
  for (const p of done) await p.kill();
  // The processes of one test share a data folder; remove each folder once.
  for (const p of new Map(done.map((x) => [x.dataDir, x])).values()) p.cleanup();
});

/** Every conversion id of the workspace, following next_cursor. */
async function allConversionIds(ws: Pick<Ws, "api">): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res = await ws.api("GET", `/v1/conversions?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    ids.push(...res.body.data.map((c: { id: string }) => c.id));
    cursor = res.body.next_cursor;
    if (!cursor) break;
  }
  return ids;
}

const BATCH = 5;
function batch(tag: string, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    event_name: "Lead",
    event_time: nowSeconds(),
    event_id: `${tag}-${i}`,
  }));
}

/** POST /v1/events over a keep-alive agent of the test's own, so the test can drop its connections. */
function postEvents(
  agent: Agent,
  url: string,
  key: string,
  data: unknown[],
): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify({ data });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/events`,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // kept as text
          }
          resolve({ status: res.statusCode ?? 0, body: json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends batches from `workers` concurrent keep-alive clients until `shouldStop` says so or a
 * request fails; records the ids of every event a 200 accepted, and every status seen.
 */
async function load(
  tally: TallyProcess,
  key: string,
  workers: number,
  shouldStop: (acked: number) => boolean,
) {
  const agent = new Agent({ keepAlive: true });
  const acked = new Set<string>();
  const statuses = new Map<number, number>();
  const errorBodies: unknown[] = [];
  let seq = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped) {
      let res: { status: number; body: unknown };
      try {
        res = await postEvents(agent, tally.url, key, batch(`w${seq++}`, BATCH));
      } catch (err) {
        errorBodies.push(String(err));
        return; // the connection died with the server
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status !== 200) {
        errorBodies.push(res.body);
        return;
      }
      for (const r of (res.body as { results: { status: string; id: string }[] }).results)
        if (r.status === "accepted") acked.add(r.id);
      if (shouldStop(acked.size)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  // Like a client that is done: its idle keep-alive connections go away.
  agent.destroy();
  return { acked, statuses, errorBodies };
}

describe("kill -9", () => {
  it(
    "after 500 acknowledged events (sent concurrently), all 500 are there after a restart",
    { timeout: 120_000 },
    async () => {
      const tally = await start();
      const ws = await createWorkspace(tally.url, tally.adminToken, "Durable");
      let killed = false;
      const l = await load(tally, ws.secret_key, 20, (n) => {
        // SIGKILL the moment 500 are acknowledged, with other requests still in flight.
        if (n >= 500 && !killed) {
          killed = true;
          tally.child.kill("SIGKILL");
        }
        return killed;
      });
      await tally.kill();
      expect(killed).toBe(true);
      // Responses already on the wire when the signal landed count too: they were acknowledged.
      expect(l.acked.size).toBeGreaterThanOrEqual(500);

      const again = await start(tally.dataDir);
      const ids = await allConversionIds({ api: client(again.url, ws.secret_key) });
      const stored = new Set(ids);
      const lost = [...l.acked].filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(ids.length).toBe(stored.size); // and nothing twice
    },
  );
});

describe("SIGTERM", () => {
  it("under load: every 200 is stored, nothing answers 500, exit code 0", { timeout: 120_000 }, async () => {
    const tally = await start();
    const ws = await createWorkspace(tally.url, tally.adminToken, "Graceful");
    const shutdown: { exit: Promise<number | null> | null } = { exit: null };
    const l = await load(tally, ws.secret_key, 20, (n) => {
      shutdown.exit ??= n >= 300 ? tally.stop() : null;
      return false; // keep sending until the server refuses
    });
    // Not stopped: every client gave up before 300 were acknowledged; say what they saw.
    const seen = { acked: l.acked.size, statuses: [...l.statuses], errors: l.errorBodies.slice(0, 5) };
    expect(shutdown.exit, JSON.stringify(seen)).not.toBeNull();
    expect(await shutdown.exit).toBe(0);
    expect(l.acked.size).toBeGreaterThanOrEqual(300);
    for (const status of l.statuses.keys()) expect([200, 503]).toContain(status);

    const again = await start(tally.dataDir);
    const stored = new Set(await allConversionIds({ api: client(again.url, ws.secret_key) }));
    expect([...l.acked].filter((id) => !stored.has(id))).toEqual([]);
    expect(await again.stop()).toBe(0);
  });

  /** A POST whose headers the server has read (it answered 100 Continue) and whose body has not arrived. */
  async function requestInFlight(tally: TallyProcess, key: string, eventId: string) {
    const conn = await RawConnection.open(tally.port);
    const body = JSON.stringify({
      data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: eventId }],
    });
    await conn.write(
      postHead("/v1/events", key, Buffer.byteLength(body)).replace(
        "\r\n\r\n",
        "\r\nExpect: 100-continue\r\n\r\n",
      ),
    );
    const cont = await conn.nextResponse();
    expect(cont?.status).toBe(100);
    return { conn, body };
  }

  it(
    "a request whose body is still arriving completes with 200 and is stored; exit code 0",
    { timeout: 60_000 },
    async () => {
      const tally = await start();
      const ws = await createWorkspace(tally.url, tally.adminToken, "In flight");
      const { conn, body } = await requestInFlight(tally, ws.secret_key, "in-flight-1");
      const exit = tally.stop();
      await untilRefused(tally.port);
      await conn.write(body);
      const res = await conn.nextResponse();
      expect(res?.status).toBe(200);
      const result = JSON.parse(res!.body) as { results: { status: string; id: string }[] };
      expect(result.results[0]!.status).toBe("accepted");
      conn.close();
      expect(await exit).toBe(0);

      const again = await start(tally.dataDir);
      expect(await allConversionIds({ api: client(again.url, ws.secret_key) })).toEqual([
        result.results[0]!.id,
      ]);
    },
  );

  // Known bug, reported (src/main.ts stop() / src/http/server.ts): Fastify closes the idle
  // keep-alive connections once, when close() starts; a connection whose response is sent
  // after that stays open until the keep-alive timeout (72 s), and so does the process. Under
  // keep-alive load `kill -TERM` took 70 s to exit. Calling app.server.closeIdleConnections()
  // every ~50 ms until app.close() resolves brings it to 0.2 s. Drop `.fails` once fixed.
  it(
    "after SIGTERM the server closes a keep-alive connection once its response is sent",
    { timeout: 10_000 },
    async () => {
      const tally = await start();
      const ws = await createWorkspace(tally.url, tally.adminToken, "Linger");
      const { conn, body } = await requestInFlight(tally, ws.secret_key, "linger-1");
      const exit = tally.stop();
      await untilRefused(tally.port);
      await conn.write(body);
      expect((await conn.nextResponse())?.status).toBe(200);
      await conn.closed; // the server's doing, not ours
      expect(await exit).toBe(0);
    },
  );

  // Known bug, reported (src/http/server.ts): a request that arrives on a busy keep-alive
  // connection while the server closes gets Fastify's own 503 body
  // ({"error":"Service Unavailable",…}, no Retry-After), not the contract's error object.
  // Drop `.fails` once an onRequest hook (or return503OnClosing: false plus our own check)
  // answers not_ready.
  it(
    "a request arriving during shutdown gets the contract's 503 not_ready with Retry-After",
    { timeout: 20_000 },
    async () => {
      const tally = await start();
      const ws = await createWorkspace(tally.url, tally.adminToken, "Pipelined");
      const { conn, body } = await requestInFlight(tally, ws.secret_key, "pipe-1");
      const exit = tally.stop();
      await untilRefused(tally.port);
      const second = JSON.stringify({
        data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "pipe-2" }],
      });
      // The second request is pipelined behind the first: it arrives while the server closes.
      await conn.write(body + postHead("/v1/events", ws.secret_key, Buffer.byteLength(second)) + second);
      expect((await conn.nextResponse())?.status).toBe(200);
      const late = await conn.nextResponse();
      conn.close();
      await exit;
      expect(late).not.toBeNull();
      let json: unknown = late!.body;
      try {
        json = JSON.parse(late!.body);
      } catch {
        // checked below
      }
      expectError(
        { status: late!.status, headers: new Headers(late!.headers), body: json },
        503,
        "not_ready",
      );
      expect(late!.headers["retry-after"]).toBeDefined();
    },
  );

  it("a second SIGTERM during the flush is absorbed: still exit 0", { timeout: 60_000 }, async () => {
    const tally = await start();
    const ws = await createWorkspace(tally.url, tally.adminToken, "Twice");
    const inflight = Array.from({ length: 50 }, (_, i) =>
      ws
        .api("POST", "/v1/events", {
          data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: `twice-${i}` }],
        })
        .catch(() => null),
    );
    const exited = new Promise<number | null>((resolve) => tally.child.once("exit", (code) => resolve(code)));
    tally.child.kill("SIGTERM");
    tally.child.kill("SIGTERM");
    tally.child.kill("SIGINT");
    await Promise.all(inflight);
    expect(await exited).toBe(0);
  });

  it(
    "signals that keep coming until the process is gone (a supervisor's, npm's forwarded copy) never end it by the signal",
    { timeout: 60_000 },
    async () => {
      // A natural exit removes the signal handlers before the process is gone: a TERM landing in
      // that window killed the process by SIGTERM after a clean flush (10 of 10 runs).
      const tally = await start();
      const ws = await createWorkspace(tally.url, tally.adminToken, "Keeps signalling");
      const sent = await ws.api("POST", "/v1/events", {
        data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "before-the-signals" }],
      });
      expect(sent.status).toBe(200);
      let gone = false;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        tally.child.once("exit", (code, signal) => {
          gone = true;
          resolve({ code, signal });
        }),
      );
      while (!gone) {
        tally.child.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(await exited, tally.output()).toEqual({ code: 0, signal: null });
    },
  );

  it("an idle server exits 0 on SIGTERM and on SIGINT", { timeout: 60_000 }, async () => {
    const a = await start();
    expect(await a.stop()).toBe(0);
    const b = await start(a.dataDir);
    const exited = new Promise<number | null>((resolve) => b.child.once("exit", (code) => resolve(code)));
    b.child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});

describe("npm start under a supervisor", () => {
  it(
    "SIGTERM to the process group (npm forwards it again) exits 0 after the flush",
    { timeout: BUILD_TIMEOUT_MS + 30_000 },
    async () => {
      const dataDir = tempDataDir();
      const port = await freePort();
      // `npm start` in a process group of its own, as a supervisor or a terminal runs it.
      const child = spawn("npm", ["start", "--silent"], {
        cwd: repoRoot(),
        detached: true,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? dataDir,
          TALLY_ADMIN_TOKEN: ADMIN_TOKEN,
          TALLY_LOG_LEVEL: "warn",
          TALLY_DATA_DIR: dataDir,
          TALLY_PORT: String(port),
          TALLY_HOST: "127.0.0.1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      try {
        const url = `http://127.0.0.1:${port}`;
        // `npm start` builds first when sources changed since the last build.
        const deadline = Date.now() + BUILD_TIMEOUT_MS;
        for (;;) {
          const up = await fetch(`${url}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
          if (up) break;
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const ws = await createWorkspace(url, ADMIN_TOKEN, "Group signal");
        // Requests in flight while the signals land: the flush must finish them.
        const inflight = Array.from({ length: 20 }, (_, i) =>
          ws
            .api("POST", "/v1/events", {
              data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: `grp-${i}` }],
            })
            .catch(() => null),
        );
        // One signal to the group: node gets it directly and once more forwarded by npm.
        process.kill(-child.pid!, "SIGTERM");
        await Promise.all(inflight);
        expect(await exited, out).toBe(0);
      } finally {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});

describe("dedup after a restart", () => {
  it(
    "an event_id and an order_id seen before SIGTERM are duplicates after the restart",
    { timeout: 60_000 },
    async () => {
      const tally = await start();
      const ws = await createWorkspace(tally.url, tally.adminToken, "Restart dedup");
      const purchase = (ids: Record<string, string>) => ({
        event_name: "Purchase",
        event_time: nowSeconds(),
        ...(ids.event_id ? { event_id: ids.event_id } : {}),
        custom_data: { value: 5, currency: "USD", ...(ids.order_id ? { order_id: ids.order_id } : {}) },
      });
      const first = await ws.api("POST", "/v1/events", {
        data: [purchase({ event_id: "keep-1" }), purchase({ order_id: "order-9" })],
      });
      expect(first.body.accepted).toBe(2);
      expect(await tally.stop()).toBe(0);

      const again = await start(tally.dataDir);
      const api = client(again.url, ws.secret_key);
      const second = await api("POST", "/v1/events", {
        data: [
          purchase({ event_id: "keep-1" }),
          purchase({ order_id: "order-9" }),
          purchase({ event_id: "tag-9", order_id: "order-9" }),
          purchase({ event_id: "new-1" }),
        ],
      });
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect(second.body.results.map((r: { status: string; id: string }) => [r.status, r.id])).toEqual([
        ["duplicate", first.body.results[0].id],
        ["duplicate", first.body.results[1].id],
        ["duplicate", first.body.results[1].id],
        ["accepted", expect.stringMatching(/^evt_/)],
      ]);
      expect(await allConversionIds({ api })).toHaveLength(3);
      expect(await again.stop()).toBe(0);
    },
  );
});
