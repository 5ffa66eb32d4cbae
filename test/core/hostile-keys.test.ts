/**
 * Made-up keys cannot grow memory (API.md, Conventions): a string that cannot be a key is 401
 * without touching the store or any cache; well-shaped unknown keys are remembered in bounded
 * caches only; the refused-key throttle counts an IPv6 client by its /64, so rotating
 * addresses inside one /64 buys nothing. Real HTTP on loopback; clients other than loopback
 * are named through X-Forwarded-For from a trusted proxy (loopback itself).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

/** Runs `n` jobs, `width` at a time. */
async function pool<T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
function randomText(len: number, seed: number): string {
  let s = "";
  let x = seed * 2654435761;
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += ALPHABET[x % ALPHABET.length];
  }
  return s;
}

/** Strings that cannot be keys: wrong prefixes, too short, too long, bad characters, any length. */
function malformed(i: number): string {
  const lengths = [0, 1, 2, 5, 10, 15, 31, 65, 66, 100, 500, 2000, 6000];
  const len = lengths[i % lengths.length]!;
  const body = randomText(len, i);
  switch (i % 6) {
    case 0:
      return `pk_${len >= 16 && len <= 64 ? body + "x".repeat(64) : body}`; // too short or too long
    case 1:
      return `sk_${body.slice(0, Math.min(len, 31))}`; // never 32 or more: too short
    case 2:
      return `sk_${body}${"x".repeat(65)}`; // too long
    case 3:
      return `pk_${"a".repeat(20)}${"!$%&*+.".charAt(i % 7)}`; // a character keys never have
    case 4:
      return `Bearer-ish ${body}`.slice(0, 23); // not prefixed, and too short for the admin token
    default:
      return `pk_${"é".repeat(20)}`;
  }
}

describe("made-up keys of every shape", () => {
  let tally: Tally;
  beforeAll(async () => {
    // The per-client limit is off here: this test sends thousands of requests from loopback
    // on purpose, and is about the key caches, not about that limit (client-limits.test.ts).
    tally = await startInProcess({ TALLY_RATE_LIMIT_PER_IP: "0", TALLY_TRUST_PROXY: "127.0.0.1" });
    await createWorkspace(tally.url, ADMIN_TOKEN, "Real");
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  it("the keys Tally generates have the shapes of API.md", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Shapes");
    expect(ws.public_key).toMatch(/^pk_[A-Za-z0-9_-]{16,64}$/);
    expect(ws.secret_key).toMatch(/^sk_[A-Za-z0-9_-]{32,64}$/);
  });

  it(
    "thousands of strings that cannot be keys are all 401, never 429, and touch no cache",
    { timeout: 120_000 },
    async () => {
      const before = tally.deps.directory.sizes;
      const throttleBefore = tally.deps.auth.throttleSize.entries;
      const statuses = await pool(2000, 16, async (i) => {
        const key = malformed(i);
        const where = i % 3;
        let res: Response;
        if (where === 0)
          res = await fetch(`${tally.url}/v1/workspace`, { headers: { authorization: `Bearer ${key}` } });
        else if (where === 1)
          res = await fetch(`${tally.url}/t/collect?k=${encodeURIComponent(key)}`, {
            method: "POST",
            headers: { "content-type": "text/plain" },
            body: JSON.stringify({ events: [{ event_name: "PageView" }] }),
          });
        else
          res = await fetch(`${tally.url}/t/collect`, {
            method: "POST",
            headers: { "content-type": "text/plain" },
            body: JSON.stringify({ k: key, events: [{ event_name: "PageView" }] }),
          });
        const body = (await res.json()) as { error?: { code?: string } };
        if (res.status !== 401) throw new Error(`${JSON.stringify(key.slice(0, 40))}: ${res.status}`);
        return body.error?.code;
      });
      for (const code of statuses) expect(["unknown_key", "missing_key"]).toContain(code);
      // Nothing was remembered about any of them.
      expect(tally.deps.directory.sizes.misses).toEqual(before.misses);
      expect(tally.deps.directory.sizes.keys).toEqual(before.keys);
      expect(tally.deps.auth.throttleSize.entries).toBe(throttleBefore);
    },
  );

  it("a key too long for a header or a query is refused in the contract's shape too", async () => {
    const res = await fetch(`${tally.url}/t/p.gif?k=pk_${"a".repeat(7000)}`);
    expect(res.status).toBe(401);
    const r2 = await fetch(`${tally.url}/v1/workspace`, {
      headers: { authorization: `Bearer sk_${"a".repeat(8000)}` },
    });
    expectError(
      { status: r2.status, headers: r2.headers, body: (await r2.json()) as unknown },
      401,
      "unknown_key",
    );
  });

  it(
    "2,000 well-shaped unknown keys from as many addresses leave the caches and the throttle within bounds",
    { timeout: 180_000 },
    async () => {
      const statuses = await pool(2_000, 16, async (i) => {
        const kind = i % 2 === 0 ? "pk" : "sk";
        const key = `${kind}_${randomText(kind === "pk" ? 16 + (i % 49) : 32 + (i % 33), i + 7)}`;
        const ip = `198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const res =
          kind === "pk"
            ? await fetch(`${tally.url}/t/p.gif?k=${key}`, { headers: { "x-forwarded-for": ip } })
            : await fetch(`${tally.url}/v1/workspace`, {
                headers: { authorization: `Bearer ${key}`, "x-forwarded-for": ip },
              });
        await res.arrayBuffer();
        return res.status;
      });
      expect(new Set(statuses)).toEqual(new Set([401]));
      const s = tally.deps.directory.sizes;
      // The defaults: 10,000 unknown keys in 2 MiB; 50,000 throttled addresses in 8 MiB.
      expect(s.misses.entries).toBeLessThanOrEqual(10_000);
      expect(s.misses.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
      const t = tally.deps.auth.throttleSize;
      expect(t.entries).toBeLessThanOrEqual(50_000);
      expect(t.bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
      // The real workspace still works.
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "After the flood");
      expect((await ws.api("GET", "/v1/workspace")).status).toBe(200);
    },
  );
});

describe("the refused-key throttle and IPv6", () => {
  let tally: Tally;
  beforeAll(async () => {
    tally = await startInProcess({ TALLY_TRUST_PROXY: "127.0.0.1" });
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  const guess = (i: number) => `sk_${String(i).padStart(43, "0")}`;
  const tryKey = (i: number, ip: string) =>
    fetch(`${tally.url}/v1/workspace`, {
      headers: { authorization: `Bearer ${guess(i)}`, "x-forwarded-for": ip },
    }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });

  it("rotating through the addresses of one /64 is throttled as one client; another /64 is not", async () => {
    // 200 guesses at once, each from another address of the same /64: one bucket of 20
    // (refilled at 10 a second) cannot answer them all with 401.
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        tryKey(i, `2001:db8:1:2:${((i * 7919) & 0xffff).toString(16)}::${i + 1}`),
      ),
    );
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(20);
    expect(statuses).toContain(429);
    // Another /64 has a bucket of its own; so has an IPv4 client.
    expect(await tryKey(1000, "2001:db8:1:3::1")).toBe(401);
    expect(await tryKey(1001, "203.0.113.9")).toBe(401);
    // One bucket for the whole rotating /64, not one per address.
    expect(tally.deps.auth.throttleSize.entries).toBe(3);
  });
});
