/**
 * Abuse limits on the real server: a slowloris client that trickles its headers is cut off
 * after TALLY_HEADERS_TIMEOUT_MS, and a burst over TALLY_RATE_LIMIT_PER_SECOND gets 429 with
 * Retry-After — per key, so other keys are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";
import { RawConnection } from "./raw-http.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

describe("slowloris", () => {
  let tally: Tally;
  beforeAll(async () => {
    tally = await startInProcess({ TALLY_HEADERS_TIMEOUT_MS: "1000" });
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  it(
    "a client sending its headers a byte at a time, slower than the headers timeout, is cut off",
    { timeout: 30_000 },
    async () => {
      const port = Number(new URL(tally.url).port);
      const conn = await RawConnection.open(port);
      const head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "a".repeat(110);
      let sent = 0;
      // One byte every 50 ms: the head (never finished) takes 8 s to trickle, far past the 1 s
      // limit but within Node's 10 s default, so a server ignoring the setting lets it all in.
      // The loop ends as soon as the server closes the socket.
      while (conn.isOpen && sent < head.length) {
        try {
          await conn.write(head[sent]!);
        } catch {
          break; // the server already closed its side
        }
        sent++;
        await Promise.race([new Promise((r) => setTimeout(r, 50)), conn.closed]);
      }
      await conn.closed;
      expect(sent).toBeLessThan(head.length);
      const res = await conn.nextResponse();
      // Node answers 408 before closing, or just closes; either way never a 200.
      if (res) expect(res.status).toBe(408);
    },
  );

  it("a normal client is still served afterwards", async () => {
    expect((await client(tally.url)("GET", "/healthz")).status).toBe(200);
  });
});

describe("rate limit", () => {
  let tally: Tally;
  beforeAll(async () => {
    tally = await startInProcess({ TALLY_RATE_LIMIT_PER_SECOND: "5" });
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  it("a burst over the limit gets 429 rate_limited with Retry-After; another key is unaffected", async () => {
    const a = await createWorkspace(tally.url, ADMIN_TOKEN, "Bursty");
    const b = await createWorkspace(tally.url, ADMIN_TOKEN, "Calm");
    const burst = await Promise.all(Array.from({ length: 40 }, () => a.api("GET", "/v1/workspace")));
    const limited = burst.filter((r) => r.status === 429);
    const ok = burst.filter((r) => r.status === 200);
    // 5 a second with bursts of 10: most of 40 simultaneous calls are refused, some pass.
    expect(ok.length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    expect(ok.length + limited.length).toBe(40);
    for (const r of limited) {
      expectError(r, 429, "rate_limited");
      const retry = r.headers.get("retry-after");
      expect(retry).toMatch(/^\d+$/);
      expect(Number(retry)).toBeGreaterThanOrEqual(1);
      expect(r.body.error.details).toEqual({ retry_after_seconds: Number(retry) });
    }
    expect((await b.api("GET", "/v1/workspace")).status).toBe(200);
  });

  it("the public key on /t/collect is limited too", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Beacons");
    const anon = client(tally.url);
    const burst = await Promise.all(
      Array.from({ length: 40 }, () =>
        anon(
          "POST",
          `/t/collect?k=${ws.public_key}`,
          JSON.stringify({ events: [{ event_name: "PageView" }] }),
          { "content-type": "text/plain" },
        ),
      ),
    );
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(burst.filter((r) => r.status === 204).length).toBeGreaterThan(0);
    for (const r of limited) {
      expectError(r, 429, "rate_limited");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
  });
});
