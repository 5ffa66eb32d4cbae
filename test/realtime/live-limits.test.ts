// GET /v1/live limits and revocation on the real server: at most N connections per workspace
// and per client address (429 before the upgrade, with Retry-After), a slot freed when a
// connection closes, and logout closing the live-feed sockets its session opened (4401).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, startInProcess } from "../helpers/server.js";
import { connectLive, Refusal, refusalOf, type LiveClient } from "./live-client.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

/** Connects, retrying while the server still counts a connection that was just closed. */
async function connectWhenFree(url: string, headers: Record<string, string> = {}): Promise<LiveClient> {
  for (let i = 0; i < 200; i++) {
    try {
      return await connectLive(url, { headers });
    } catch (err) {
      if (!(err instanceof Refusal) || err.status !== 429) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error("the slot was never freed");
}

describe("live-feed connection caps", () => {
  let t: Tally;
  let wsUrl: string;
  const open: LiveClient[] = [];
  beforeAll(async () => {
    t = await startInProcess({
      TALLY_LIVE_MAX_PER_WORKSPACE: "2",
      TALLY_LIVE_MAX_PER_CLIENT: "3",
      TALLY_TRUST_PROXY: "127.0.0.1",
    });
    wsUrl = t.url.replace(/^http/, "ws");
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.cleanup();
  });

  const live = async (key: string, client: string) => {
    const c = await connectLive(`${wsUrl}/v1/live?token=${key}`, { headers: { "x-forwarded-for": client } });
    open.push(c);
    return c;
  };

  it("per workspace: the third connection is refused with 429 and Retry-After; a closed one frees its slot", async () => {
    const a = await createWorkspace(t.url, ADMIN_TOKEN, "Watched");
    const first = await live(a.secret_key, "203.0.113.1");
    await live(a.secret_key, "203.0.113.2");
    const refused = await refusalOf(
      connectLive(`${wsUrl}/v1/live?token=${a.secret_key}`, {
        headers: { "x-forwarded-for": "203.0.113.3" },
      }),
    );
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    expect(refused.body.error.message).toContain("TALLY_LIVE_MAX_PER_WORKSPACE");
    expect(refused.body.error.details).toMatchObject({ per: "workspace", limit: 2 });
    expect(refused.body.error.details.retry_after_seconds).toBeGreaterThanOrEqual(1);

    first.close();
    await first.closed;
    open.push(
      await connectWhenFree(`${wsUrl}/v1/live?token=${a.secret_key}`, { "x-forwarded-for": "203.0.113.3" }),
    );
  });

  it("per client address: the fourth connection of one address is refused, another address is not", async () => {
    const client = "198.51.100.7";
    const ws = await Promise.all([1, 2, 3].map((i) => createWorkspace(t.url, ADMIN_TOKEN, `Client ${i}`)));
    const extra = await createWorkspace(t.url, ADMIN_TOKEN, "Client 4");
    for (const w of ws) await live(w.secret_key, client);
    const refused = await refusalOf(
      connectLive(`${wsUrl}/v1/live?token=${extra.secret_key}`, { headers: { "x-forwarded-for": client } }),
    );
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({ per: "client", limit: 3 });
    // An IPv6 neighbour in another /64, or another IPv4 address, has slots of its own.
    await live(extra.secret_key, "2001:db8:9:9::1");
  });
});

describe("logout", () => {
  let t: Tally;
  beforeAll(async () => {
    t = await startInProcess();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("closes the live-feed connections its session opened (4401), and only those", async () => {
    const ws = await createWorkspace(t.url, ADMIN_TOKEN, "Logged");
    const login = await fetch(`${t.url}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const { csrf_token } = (await login.json()) as { csrf_token: string };
    const wsUrl = t.url.replace(/^http/, "ws");
    const bySession = await connectLive(`${wsUrl}/v1/live?workspace=${ws.id}`, {
      headers: { cookie, origin: t.url },
    });
    const byKey = await connectLive(`${wsUrl}/v1/live?token=${ws.secret_key}`);

    const out = await fetch(`${t.url}/v1/session`, {
      method: "DELETE",
      headers: { cookie, "x-csrf-token": csrf_token, origin: t.url },
    });
    expect(out.status).toBe(204);
    const closed = await bySession.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toContain("session");
    // The key's connection stays open: it still gets the metrics tick.
    const tick = byKey.messages.length;
    await byKey.waitFor((m) => m.type === "metrics" && byKey.messages.indexOf(m) >= tick, "a later tick");
    byKey.close();
  });
});
