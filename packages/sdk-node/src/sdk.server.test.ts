/**
 * The SDK against the real Tally server (a child process from test/helpers/server.ts, built
 * by `npm run build`): batching, a crash and restart mid-run, rate limiting and refusals.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, startTally, type TallyProcess } from "../../../test/helpers/server.js";
import { Tally, TallyApiError, type TallyError, type TallyOptions } from "./index.js";

interface Exchange {
  sentAt: number;
  answeredAt: number;
  events: number;
  status: number | "network error";
  retryAfter: string | null;
}

/** A fetch that records every request the SDK makes and how it was answered. */
function recordingFetch(log: Exchange[]): typeof globalThis.fetch {
  return async (input, init) => {
    const sentAt = Date.now();
    const body = typeof init?.body === "string" ? init.body : '{"data":[]}';
    const events = (JSON.parse(body) as { data: unknown[] }).data.length;
    try {
      const res = await globalThis.fetch(input, init);
      log.push({
        sentAt,
        answeredAt: Date.now(),
        events,
        status: res.status,
        retryAfter: res.headers.get("retry-after"),
      });
      return res;
    } catch (err) {
      log.push({ sentAt, answeredAt: Date.now(), events, status: "network error", retryAfter: null });
      throw err;
    }
  };
}

/** How many conversions the workspace has, following every page. */
async function countConversions(api: Awaited<ReturnType<typeof createWorkspace>>["api"]): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const res = await api("GET", `/v1/conversions?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    const body = res.body as { data: unknown[]; next_cursor: string | null };
    count += body.data.length;
    cursor = body.next_cursor;
  } while (cursor !== null);
  return count;
}

/**
 * A proxy in front of the server that forwards the first `drop` requests but cuts the
 * connection instead of relaying the answer: the server stored the batch, the client never
 * heard so.
 */
async function lossyProxy(target: string, drop: number): Promise<{ url: string; close(): Promise<void> }> {
  let left = drop;
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const answer = await fetch(target + (req.url ?? "/"), {
          method: req.method,
          headers: { authorization: req.headers.authorization ?? "", "content-type": "application/json" },
          body: Buffer.concat(chunks),
        });
        const text = await answer.text();
        if (left-- > 0) return void req.socket.destroy();
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(text);
      })().catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      }),
  };
}

function sdk(
  url: string,
  secretKey: string,
  errors: TallyError[],
  options: Partial<TallyOptions> = {},
): Tally {
  return new Tally({
    endpoint: url,
    secretKey,
    retryBaseMs: 20,
    maxRetryDelayMs: 200,
    onError: (e) => errors.push(e),
    ...options,
  });
}

describe("SDK against the real server", () => {
  let server: TallyProcess;

  beforeAll(async () => {
    server = await startTally();
  });

  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it("sends 2500 events in batches of flushAt and every one is stored once", async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "Batching");
    const log: Exchange[] = [];
    const errors: TallyError[] = [];
    const tally = sdk(server.url, ws.secret_key, errors, {
      flushAt: 1000,
      flushIntervalMs: 60_000,
      fetch: recordingFetch(log),
    });
    for (let i = 0; i < 2500; i++)
      tally.track({ event_name: "Lead", user_data: { external_id: `crm-${i}` } });
    const last = await tally.close();
    expect(log.map((x) => [x.events, x.status])).toEqual([
      [1000, 200],
      [1000, 200],
      [500, 200],
    ]);
    expect(last).toMatchObject({ received: 500, accepted: 500, duplicates: 0, rejected: 0 });
    expect(errors).toEqual([]);
    expect(await countConversions(ws.api)).toBe(2500);
  });

  it("answers a repeated event_id as a duplicate of the first", async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "Dedup");
    const tally = sdk(server.url, ws.secret_key, []);
    tally.track({
      event_name: "Purchase",
      event_id: "order-1",
      custom_data: { value: 10, currency: "USD", order_id: "1" },
    });
    const first = await tally.flush();
    tally.track({
      event_name: "Purchase",
      event_id: "order-1",
      custom_data: { value: 10, currency: "USD", order_id: "1" },
    });
    const second = await tally.close();
    expect(first.results[0]).toMatchObject({ event_id: "order-1", status: "accepted" });
    expect(second.results[0]).toMatchObject({
      event_id: "order-1",
      status: "duplicate",
      id: first.results[0]!.id,
    });
    expect(await countConversions(ws.api)).toBe(1);
  });

  it("loses nothing and doubles nothing when the server is killed and restarted mid-run", async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "Restart");
    const log: Exchange[] = [];
    const errors: TallyError[] = [];
    const tally = sdk(server.url, ws.secret_key, errors, {
      flushAt: 50,
      flushIntervalMs: 20,
      maxRetries: 100,
      fetch: recordingFetch(log),
    });
    const total = 2000;
    const track = (i: number) => tally.track({ event_name: "Lead", user_data: { external_id: `crm-${i}` } });
    for (let i = 0; i < total / 2; i++) track(i);
    // Kill -9 once a few batches are stored and while the rest are on their way.
    while (log.filter((x) => x.status === 200).length < 3) await new Promise((r) => setTimeout(r, 2));
    await server.kill();
    for (let i = total / 2; i < (total * 3) / 4; i++) track(i); // tracked while the server is down
    server = await server.restart();
    for (let i = (total * 3) / 4; i < total; i++) track(i);
    await tally.close();
    expect(errors).toEqual([]);
    const firstDown = log.findIndex((x) => x.status === "network error");
    expect(firstDown).toBeGreaterThan(0); // some batches were stored before the kill, some retried after
    if (process.env.DEBUG_SDK_TEST) console.log(log.map((x) => x.status).join(" "));
    expect(await countConversions(ws.api)).toBe(total);
  }, 90_000);

  it("retries a batch whose 200 was lost; the server answers duplicates and counts it once", async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "LostAnswer");
    const proxy = await lossyProxy(server.url, 1);
    const errors: TallyError[] = [];
    const tally = sdk(proxy.url, ws.secret_key, errors);
    const ids = Array.from({ length: 10 }, (_, i) =>
      tally.track({ event_name: "Lead", user_data: { external_id: `c${i}` } }),
    );
    const result = await tally.close();
    await proxy.close();
    expect(result).toMatchObject({ received: 10, accepted: 0, duplicates: 10, rejected: 0 });
    expect(result.results.map((r) => r.event_id)).toEqual(ids);
    expect(errors).toEqual([]);
    expect(await countConversions(ws.api)).toBe(10);
  });

  it("does not retry a 400, and surfaces the server's error object", async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "Refusals");
    const log: Exchange[] = [];
    const errors: TallyError[] = [];
    const tally = sdk(server.url, ws.secret_key, errors, { fetch: recordingFetch(log) });
    // Deeper than the server's JSON nesting cap: the whole body is refused with a 400.
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 30; i++) deep = { deeper: deep };
    tally.track({ event_name: "Lead", custom_data: { deep } });
    const error = await tally.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TallyApiError);
    expect(error).toMatchObject({ status: 400, code: "nesting_too_deep", retryable: false });
    expect((error as TallyApiError).error.message).toMatch(/nested/);
    expect(log.map((x) => x.status)).toEqual([400]);
    expect(errors).toEqual([error]);
  });

  it("does not retry a 401 for an unknown key", async () => {
    const log: Exchange[] = [];
    const tally = sdk(server.url, "sk_not_a_real_key", [], { fetch: recordingFetch(log) });
    tally.track({ event_name: "Lead" });
    await expect(tally.close()).rejects.toMatchObject({ status: 401, retryable: false });
    expect(log.map((x) => x.status)).toEqual([401]);
  });
});

describe("SDK against a rate-limited server", () => {
  let server: TallyProcess;

  beforeAll(async () => {
    server = await startTally({ env: { TALLY_RATE_LIMIT_PER_SECOND: "1" } });
  });

  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it("waits out a 429's Retry-After and then delivers everything", async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "Limited");
    const log: Exchange[] = [];
    const errors: TallyError[] = [];
    const tally = sdk(server.url, ws.secret_key, errors, {
      flushIntervalMs: 60_000,
      fetch: recordingFetch(log),
    });
    let accepted = 0;
    for (let i = 0; i < 5; i++) {
      tally.track({ event_name: "Lead", user_data: { external_id: `crm-${i}` } });
      accepted += (await tally.flush()).accepted;
    }
    await tally.close();
    expect(accepted).toBe(5);
    expect(errors).toEqual([]);
    const limited = log.findIndex((x) => x.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const retryAfterMs = Number(log[limited]!.retryAfter) * 1000;
    expect(retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(log[limited + 1]!.sentAt - log[limited]!.answeredAt).toBeGreaterThanOrEqual(retryAfterMs - 10);
  }, 60_000);
});
