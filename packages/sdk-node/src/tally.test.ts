import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Tally,
  TallyApiError,
  TallyClosedError,
  TallyEventRejectedError,
  TallyNetworkError,
  TallyQueueFullError,
  type TallyError,
  type TallyEvent,
  type TallyOptions,
} from "./index.js";

interface Received {
  at: number;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  body: { data: (TallyEvent & { event_id: string })[]; test_event_code?: string };
}

/** One scripted answer; when the script runs out the server answers a normal 200. */
type Reply =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { destroy: true }
  | { hangMs: number };

/** A stand-in for the Tally server on 127.0.0.1: records requests, answers from a script. */
class FakeTally {
  readonly requests: Received[] = [];
  readonly script: Reply[] = [];
  /** Events with this name come back `rejected` in a 200. */
  rejectName = "Rejected";
  #server: Server;
  url = "";

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        let body: Received["body"];
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Received["body"];
        } catch {
          // A request cut off mid-body (a client that gave up, or a test that already ended).
          res.writeHead(400).end();
          return;
        }
        this.requests.push({ at: Date.now(), path: req.url, headers: req.headers, body });
        const reply = this.script.shift() ?? { status: 200, body: this.#ok(body) };
        if ("destroy" in reply) return void req.socket.destroy();
        if ("hangMs" in reply) return void setTimeout(() => res.end(), reply.hangMs);
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(JSON.stringify(reply.body ?? {}));
      });
    });
  }

  #ok(body: Received["body"]) {
    const results = body.data.map((e, index) =>
      e.event_name === this.rejectName
        ? { index, status: "rejected", error: { code: "unknown_event_name", message: "Unknown event name." } }
        : { index, status: "accepted", id: `evt_${e.event_id}` },
    );
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return {
      received: results.length,
      accepted: count("accepted"),
      duplicates: 0,
      rejected: count("rejected"),
      results,
    };
  }

  get batchSizes(): number[] {
    return this.requests.map((r) => r.body.data.length);
  }

  eventIds(request: number): string[] {
    return this.requests[request]!.body.data.map((e) => e.event_id);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const lead = (n: number): TallyEvent => ({ event_name: "Lead", user_data: { external_id: `crm-${n}` } });

let server: FakeTally;
let errors: TallyError[];
let clients: Tally[];

function client(options: Partial<TallyOptions> = {}): Tally {
  const tally = new Tally({
    endpoint: server.url,
    secretKey: "sk_test_123",
    retryBaseMs: 1,
    maxRetryDelayMs: 5,
    onError: (e) => errors.push(e),
    ...options,
  });
  clients.push(tally);
  return tally;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(async () => {
  server = new FakeTally();
  errors = [];
  clients = [];
  await server.start();
});

afterEach(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server.stop();
});

describe("batching", () => {
  it("sends flushAt events per request to /v1/events with the secret key", async () => {
    const tally = client({ flushAt: 3 });
    for (let i = 0; i < 7; i++) tally.track(lead(i));
    await tally.flush();
    expect(server.batchSizes).toEqual([3, 3, 1]);
    const [first] = server.requests;
    expect(first!.path).toBe("/v1/events");
    expect(first!.headers.authorization).toBe("Bearer sk_test_123");
    expect(first!.headers["content-type"]).toBe("application/json");
  });

  it("sends a partial batch after flushIntervalMs without a flush call", async () => {
    const tally = client({ flushAt: 100, flushIntervalMs: 30 });
    tally.track(lead(1));
    tally.track(lead(2));
    await until(() => server.requests.length === 1 && tally.pending === 0);
    expect(server.batchSizes).toEqual([2]);
  });

  it("keeps each request body within maxBatchBytes", async () => {
    const tally = client({ maxBatchBytes: 4096 });
    for (let i = 0; i < 20; i++) tally.track({ event_name: "Lead", custom_data: { note: "x".repeat(500) } });
    const result = await tally.flush();
    expect(result.accepted).toBe(20);
    expect(server.requests.length).toBeGreaterThan(2);
    for (const r of server.requests)
      expect(Buffer.byteLength(JSON.stringify(r.body))).toBeLessThanOrEqual(4096);
  });

  it("keeps tracking order across batches and returns one result per event", async () => {
    const tally = client({ flushAt: 2 });
    const ids = [1, 2, 3, 4, 5].map((i) => tally.track(lead(i)));
    const result = await tally.flush();
    expect(server.requests.flatMap((_, i) => server.eventIds(i))).toEqual(ids);
    expect(result.results.map((r) => r.event_id)).toEqual(ids.slice(4));
  });

  it("sends the test_event_code with every batch", async () => {
    const tally = client({ testEventCode: "TEST42" });
    tally.track(lead(1));
    await tally.flush();
    expect(server.requests[0]!.body.test_event_code).toBe("TEST42");
  });
});

describe("event ids", () => {
  it("keeps a given event_id and generates a UUID otherwise", async () => {
    const tally = client();
    expect(tally.track({ event_name: "Purchase", event_id: "order-1001" })).toBe("order-1001");
    const generated = tally.track(lead(1));
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await tally.flush();
    expect(server.eventIds(0)).toEqual(["order-1001", generated]);
  });
});

describe("experiment", () => {
  it("queues an Exposure carrying the experiment and the variant", async () => {
    const tally = client();
    const id = tally.experiment("checkout-v2", "B", {
      user_data: { external_id: "crm-77" },
      custom_data: { page: "/cart" },
    });
    await tally.flush();
    const [sent] = server.requests[0]!.body.data;
    expect(sent).toMatchObject({
      event_id: id,
      event_name: "Exposure",
      user_data: { external_id: "crm-77" },
      custom_data: { page: "/cart", experiment: "checkout-v2", variant: "B" },
    });
  });
});

describe("retries", () => {
  it("retries a 500 and sends the same event_ids until it succeeds", async () => {
    server.script.push(
      { status: 500, body: { error: { code: "internal_error", message: "x" } } },
      { status: 502 },
    );
    const tally = client();
    const ids = [tally.track(lead(1)), tally.track(lead(2))];
    const result = await tally.flush();
    expect(server.requests).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(server.eventIds(i)).toEqual(ids);
    expect(result.accepted).toBe(2);
    expect(errors).toEqual([]);
  });

  it("retries a dropped connection with the same event_ids", async () => {
    server.script.push({ destroy: true });
    const tally = client();
    const id = tally.track(lead(1));
    await expect(tally.flush()).resolves.toMatchObject({ accepted: 1 });
    expect(server.requests.map((_, i) => server.eventIds(i))).toEqual([[id], [id]]);
  });

  it("retries a request that times out", async () => {
    server.script.push({ hangMs: 2000 });
    const tally = client({ timeoutMs: 100 });
    tally.track(lead(1));
    await expect(tally.flush()).resolves.toMatchObject({ accepted: 1 });
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    ["delay-seconds", () => "1"],
    ["an HTTP date", () => new Date(Date.now() + 2000).toUTCString()],
  ])("honours a 429's Retry-After given as %s", async (_name, retryAfter) => {
    server.script.push({
      status: 429,
      headers: { "retry-after": retryAfter() },
      body: { error: { code: "rate_limited", message: "slow down" } },
    });
    const tally = client();
    tally.track(lead(1));
    await tally.flush();
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(server.eventIds(1)).toEqual(server.eventIds(0));
  });

  it("caps Retry-After at maxRetryAfterMs", async () => {
    server.script.push({ status: 503, headers: { "retry-after": "3600" } });
    const tally = client({ maxRetryAfterMs: 50 });
    tally.track(lead(1));
    await tally.flush();
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeLessThan(1000);
  });

  it("gives up after maxRetries and rejects with the last error", async () => {
    for (let i = 0; i < 5; i++)
      server.script.push({ status: 503, body: { error: { code: "not_ready", message: "x" } } });
    const tally = client({ maxRetries: 2 });
    tally.track(lead(1));
    const error = await tally.flush().catch((e: unknown) => e);
    expect(server.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(TallyApiError);
    expect(error).toMatchObject({ status: 503, code: "not_ready", retryable: true });
    expect(errors).toEqual([error]);
    expect(tally.pending).toBe(0);
  });

  it("gives up on an unreachable server with a TallyNetworkError", async () => {
    const url = server.url;
    await server.stop();
    const tally = new Tally({
      endpoint: url,
      secretKey: "sk_x",
      maxRetries: 1,
      retryBaseMs: 1,
      onError: (e) => errors.push(e),
    });
    clients.push(tally);
    tally.track(lead(1));
    const error = await tally.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TallyNetworkError);
    expect((error as TallyNetworkError).events).toHaveLength(1);
    await server.start(); // for afterEach
  });
});

describe("refusals that would fail again", () => {
  it.each([400, 401, 403, 404, 415, 422])(
    "does not retry a %i and surfaces the server's error",
    async (status) => {
      const serverError = { code: "some_code", message: "Fix the request.", details: { field: "data" } };
      server.script.push({ status, body: { error: serverError } });
      const tally = client();
      tally.track(lead(1));
      tally.track(lead(2));
      const error = await tally.flush().catch((e: unknown) => e);
      expect(server.requests).toHaveLength(1);
      expect(error).toBeInstanceOf(TallyApiError);
      expect(error).toMatchObject({ status, error: serverError, retryable: false });
      expect((error as TallyApiError).events.map((e) => e.event_name)).toEqual(["Lead", "Lead"]);
      expect(errors).toEqual([error]);
    },
  );

  it("halves a batch the server finds too large instead of giving up", async () => {
    server.script.push({ status: 413, body: { error: { code: "body_too_large", message: "too big" } } });
    const tally = client();
    for (let i = 0; i < 5; i++) tally.track(lead(i));
    const result = await tally.flush();
    expect(server.batchSizes).toEqual([5, 3, 2]);
    expect(result.accepted).toBe(5);
    expect(tally.pending).toBe(0);
  });

  it("still sends the other batches of a flush after one is refused", async () => {
    server.script.push({ status: 422, body: { error: { code: "validation_failed", message: "bad" } } });
    const tally = client({ flushAt: 2 });
    for (let i = 0; i < 4; i++) tally.track(lead(i));
    await until(() => server.requests.length === 2);
    expect(server.batchSizes).toEqual([2, 2]);
    expect(errors.map((e) => e.name)).toEqual(["TallyApiError"]);
  });
});

describe("per-event results", () => {
  it("reports events rejected inside a 200 to onError and in the flush result", async () => {
    const tally = client();
    tally.track(lead(1));
    const badId = tally.track({ event_name: "Rejected" });
    const result = await tally.flush();
    expect(result).toMatchObject({ received: 2, accepted: 1, rejected: 1 });
    expect(result.results[1]).toMatchObject({
      event_id: badId,
      status: "rejected",
      error: { code: "unknown_event_name" },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TallyEventRejectedError);
    expect(errors[0]).toMatchObject({ eventId: badId, error: { code: "unknown_event_name" } });
  });

  it("keeps going when onError throws", async () => {
    const tally = client({
      onError: () => {
        throw new Error("callback bug");
      },
    });
    tally.track({ event_name: "Rejected" });
    await expect(tally.flush()).resolves.toMatchObject({ rejected: 1 });
  });
});

describe("queue bound", () => {
  it("throws TallyQueueFullError beyond maxQueueSize, counting events being sent", async () => {
    server.script.push({ hangMs: 300 });
    const tally = client({ maxQueueSize: 3, flushAt: 2, timeoutMs: 5000 });
    tally.track(lead(1));
    tally.track(lead(2)); // a batch of two goes out and hangs
    tally.track(lead(3));
    expect(tally.pending).toBe(3);
    expect(() => tally.track(lead(4))).toThrow(TallyQueueFullError);
    await tally.flush();
    expect(tally.pending).toBe(0);
    expect(() => tally.track(lead(5))).not.toThrow();
  });
});

describe("flush and close", () => {
  it("flush with nothing queued resolves empty", async () => {
    await expect(client().flush()).resolves.toEqual({
      received: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      results: [],
    });
    expect(server.requests).toHaveLength(0);
  });

  it("close sends what is queued, then refuses new events; closing twice is harmless", async () => {
    const tally = client({ flushAt: 100, flushIntervalMs: 60_000 });
    tally.track(lead(1));
    await expect(tally.close()).resolves.toMatchObject({ accepted: 1 });
    expect(() => tally.track(lead(2))).toThrow(TallyClosedError);
    await expect(tally.close()).resolves.toMatchObject({ received: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it("flush waits for a batch already on its way", async () => {
    server.script.push({ hangMs: 200 });
    const tally = client({ flushAt: 1, timeoutMs: 5000 });
    tally.track(lead(1)); // sent in the background at once
    await tally.flush();
    expect(tally.pending).toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  it("never keeps the process alive with its interval timer", () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const tally = client({ flushIntervalMs: 60_000, flushAt: 100 });
    tally.track(lead(1));
    expect(timers()).toBe(before);
  });
});

describe("options", () => {
  it.each<[string, Partial<TallyOptions>]>([
    ["a relative endpoint", { endpoint: "/v1" }],
    ["a non-http endpoint", { endpoint: "ftp://example.com" }],
    ["a public key", { secretKey: "pk_abc" }],
    ["an empty key", { secretKey: "" }],
    ["flushAt 0", { flushAt: 0 }],
    ["flushAt above the server's 1000", { flushAt: 1001 }],
    ["a fractional flushIntervalMs", { flushIntervalMs: 1.5 }],
    ["a negative maxRetries", { maxRetries: -1 }],
    ["maxQueueSize NaN", { maxQueueSize: Number.NaN }],
  ])("refuse %s", (_name, bad) => {
    expect(() => new Tally({ endpoint: "http://127.0.0.1:1", secretKey: "sk_x", ...bad })).toThrow(/Tally: /);
  });

  it("appends /v1/events to an endpoint with a path and a trailing slash", async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      seen.push(input instanceof Request ? input.url : input.toString());
      return globalThis.fetch(`${server.url}/v1/events`, init);
    };
    const tally = client({ endpoint: "https://track.example.com/tally/", fetch });
    tally.track(lead(1));
    await tally.flush();
    expect(seen).toEqual(["https://track.example.com/tally/v1/events"]);
  });
});
