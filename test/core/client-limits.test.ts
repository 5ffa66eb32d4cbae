/**
 * Per-client limits on /t/* and /c/* (API.md, Browser collection; TALLY_RATE_LIMIT_PER_IP,
 * TALLY_TRUST_PROXY), on real HTTP: a client over its limit gets 429 with Retry-After, except
 * that the pixel still answers its GIF and a tracking link still redirects; nothing of such a
 * request is recorded; other clients are not slowed; X-Forwarded-For counts only from a
 * trusted proxy; an IPv6 client is its /64. Clients other than loopback are named through
 * X-Forwarded-For from the trusted proxy (loopback itself): nothing leaves the machine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

const LIMIT = 10;

function beacon(url: string, pk: string, headers: Record<string, string>, eventId: string) {
  return fetch(`${url}/t/collect?k=${pk}`, {
    method: "POST",
    headers: { "content-type": "text/plain", ...headers },
    body: JSON.stringify({ events: [{ event_name: "Lead", event_id: eventId }] }),
  });
}

async function totals(ws: Ws): Promise<{ received: number; clicks: number }> {
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const m = await ws.api("GET", `/v1/metrics?bucket=hour&from=${encodeURIComponent(from)}`);
  const t = { received: 0, clicks: 0 };
  for (const b of m.body.buckets as { received: number; clicks: number }[]) {
    t.received += b.received;
    t.clicks += b.clicks;
  }
  return t;
}

async function until<T>(what: string, f: () => Promise<T | null>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await f();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("behind a trusted proxy, with a limit of 10 a minute", () => {
  let tally: Tally;
  let ws: Ws;
  let linkId: string;
  beforeAll(async () => {
    tally = await startInProcess({
      TALLY_RATE_LIMIT_PER_IP: String(LIMIT),
      TALLY_TRUST_PROXY: "127.0.0.1",
    });
    ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Crowded");
    const link = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/landing?utm_source=ads",
      platform: "meta",
      campaign: "spring",
    });
    linkId = link.body.id as string;
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  it("a client over the limit gets 429 with Retry-After on /t/collect, and nothing of it is stored", async () => {
    const a = { "x-forwarded-for": "203.0.113.10" };
    const statuses: number[] = [];
    let refused: Response | null = null;
    for (let i = 0; i < LIMIT + 5; i++) {
      const r = await beacon(tally.url, ws.public_key, a, `a-${i}`);
      statuses.push(r.status);
      if (r.status === 429) refused ??= r;
      else await r.arrayBuffer();
    }
    expect(statuses.slice(0, LIMIT)).toEqual(new Array(LIMIT).fill(204));
    expect(statuses).toContain(429);
    expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expectError(
      { status: refused!.status, headers: refused!.headers, body: (await refused!.json()) as unknown },
      429,
      "rate_limited",
    );
    const accepted = statuses.filter((s) => s === 204).length;
    expect((await totals(ws)).received).toBe(accepted);
    // The script counts too: the same client is refused it while over.
    expect((await fetch(`${tally.url}/t/tally.js`, { headers: a })).status).toBe(429);
  });

  it("another client of the same site is not slowed", async () => {
    const r = await beacon(tally.url, ws.public_key, { "x-forwarded-for": "203.0.113.11" }, "b-1");
    expect(r.status).toBe(204);
  });

  it("over the limit, the pixel still answers its GIF and the link still redirects — recording nothing", async () => {
    const a = { "x-forwarded-for": "203.0.113.10" };
    const before = await totals(ws);
    const gif = await fetch(
      `${tally.url}/t/p.gif?k=${ws.public_key}&en=Lead&eid=pixel-over-limit&t=${nowSeconds()}`,
      { headers: a },
    );
    expect(gif.status).toBe(200);
    expect(gif.headers.get("content-type")).toBe("image/gif");
    expect(gif.headers.get("cache-control")).toContain("no-store");
    expect((await gif.arrayBuffer()).byteLength).toBeGreaterThan(0);

    const link = await fetch(`${tally.url}/c/${linkId}`, { headers: a, redirect: "manual" });
    expect(link.status).toBe(302);
    const to = new URL(link.headers.get("location")!);
    expect(to.origin + to.pathname).toBe("https://shop.example/landing");
    expect(to.searchParams.get("utm_source")).toBe("ads");
    expect(to.searchParams.get("tally_click")).toBeNull(); // no click id: no click was recorded

    // A click by another client, after them: once it shows, theirs would have too.
    const other = await fetch(`${tally.url}/c/${linkId}`, {
      headers: { "x-forwarded-for": "203.0.113.12" },
      redirect: "manual",
    });
    expect(new URL(other.headers.get("location")!).searchParams.get("tally_click")).toBeTruthy();
    const after = await until("the other client's click", async () => {
      const t = await totals(ws);
      return t.clicks > before.clicks ? t : null;
    });
    expect(after.clicks).toBe(before.clicks + 1);
    expect(after.received).toBe(before.received);
  });

  it("an IPv6 client is its /64: rotating addresses inside it shares one limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) {
      const r = await beacon(
        tally.url,
        ws.public_key,
        { "x-forwarded-for": `2001:db8:5:6::${(i + 1).toString(16)}` },
        `v6-${i}`,
      );
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses.slice(0, LIMIT)).toEqual(new Array(LIMIT).fill(204));
    expect(statuses).toContain(429);
    const next64 = await beacon(
      tally.url,
      ws.public_key,
      { "x-forwarded-for": "2001:db8:5:7::1" },
      "v6-other",
    );
    expect(next64.status).toBe(204);
  });
});

describe("without a trusted proxy", () => {
  let tally: Tally;
  let ws: Ws;
  beforeAll(async () => {
    tally = await startInProcess({ TALLY_RATE_LIMIT_PER_IP: String(LIMIT) });
    ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Direct");
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  it("X-Forwarded-For is not believed: a client cannot dodge its limit by naming other addresses", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) {
      const r = await beacon(
        tally.url,
        ws.public_key,
        { "x-forwarded-for": `198.51.100.${i + 1}` },
        `spoof-${i}`,
      );
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses.slice(0, LIMIT)).toEqual(new Array(LIMIT).fill(204));
    expect(statuses).toContain(429);
  });

  it("the /v1 API is not under this limit (keys have their own)", async () => {
    expect((await ws.api("GET", "/v1/workspace")).status).toBe(200);
  });
});

describe("TALLY_RATE_LIMIT_PER_IP=0", () => {
  it("turns the limit off", async () => {
    const tally = await startInProcess({ TALLY_RATE_LIMIT_PER_IP: "0" });
    try {
      expect(tally.deps.clientLimiter).toBeNull();
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Unlimited");
      const statuses: number[] = [];
      for (let i = 0; i < 3 * LIMIT; i++) {
        const r = await beacon(tally.url, ws.public_key, {}, `free-${i}`);
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      expect(new Set(statuses)).toEqual(new Set([204]));
    } finally {
      await tally.cleanup();
    }
  });
});
