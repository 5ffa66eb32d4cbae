/**
 * SSRF through destinations (API.md "Destinations"): with TALLY_ALLOW_PRIVATE_ENDPOINTS unset,
 * a destination URL must be https:// and reach a public address. Refused at creation (422
 * endpoint_not_allowed naming the field) when it is an IP literal or a local name or resolves
 * inward now; refused at connect when the name resolves inward later (DNS rebinding), with the
 * delivery failed, nothing reaching the internal server and no internal body in the ledger.
 *
 * No DNS query leaves the process: the server's resolver is a table. Its first answer for a
 * name (the check at creation) comes from the table; every later one (at connect) is loopback,
 * so even a broken guard could only ever reach 127.0.0.1.
 */
import type { LookupAddress } from "node:dns";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Resolve } from "../../src/destinations/endpoint-policy.js";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../helpers/server.js";
import { startFakeWebhook } from "../fakes/fake-webhook.js";
import type { FakeServer } from "../fakes/fake-server.js";
import { createDestination, purchase, sendEvents, settled } from "./helpers.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

const LOOPBACK: LookupAddress[] = [{ address: "127.0.0.1", family: 4 }];
const notFound = (host: string) =>
  Promise.reject(Object.assign(new Error(`${host} not found`), { code: "ENOTFOUND" }));

/** First lookup of a name from `table` (unknown: not found), every later lookup loopback. */
function firstFromTable(table: Record<string, string>): Resolve {
  const seen = new Set<string>();
  return (host) => {
    if (seen.has(host)) return Promise.resolve(LOOPBACK);
    seen.add(host);
    const address = table[host];
    return address ? Promise.resolve([{ address, family: address.includes(":") ? 6 : 4 }]) : notFound(host);
  };
}

/** A server standing for the internal network: counts connections and would leak a secret body. */
async function internalServer(): Promise<{
  port: number;
  connections: () => number;
  close(): Promise<void>;
}> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.on("error", () => {});
    socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nINTERNAL-SECRET-aws-credentials");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const WEBHOOK_SECRET = "whsec-0123456789abcdef";
const webhook = (url: string, extra: Record<string, unknown> = {}) => ({
  type: "webhook",
  config: { url, secret: WEBHOOK_SECRET, max_attempts: 3, retry_base_ms: 20, ...extra },
});
const google = (config: Record<string, unknown>) => ({
  type: "google_ads",
  config: {
    customer_id: "123-456-7890",
    developer_token: "dev-token",
    conversion_actions: { Purchase: "555" },
    retry_base_ms: 20,
    max_attempts: 3,
    ...config,
  },
});

describe("without TALLY_ALLOW_PRIVATE_ENDPOINTS", () => {
  let tally: Tally;
  let internal: Awaited<ReturnType<typeof internalServer>>;
  beforeAll(async () => {
    internal = await internalServer();
    const resolve = firstFromTable({
      "hooks.public.test": "93.184.216.34",
      "ads.public.test": "93.184.216.35",
      "token.public.test": "93.184.216.36",
      "internal.test": "10.1.2.3",
      "metadata.test": "169.254.169.254",
      "v6.internal.test": "fd00::5",
      "cgnat.test": "100.64.1.1",
    });
    tally = await startInProcess(
      { TALLY_ALLOW_PRIVATE_ENDPOINTS: "", TALLY_OUTBOX_POLL_MS: "20" },
      { resolve },
    );
  });
  afterAll(async () => {
    await tally?.cleanup();
    await internal?.close();
  });

  it.each([
    [webhook("http://hooks.example.com/tally"), "config.url"],
    [webhook("https://127.0.0.1/hook"), "config.url"],
    [webhook("https://2130706433/hook"), "config.url"],
    [webhook("https://0x7f.0.0.1/hook"), "config.url"],
    [webhook("https://0177.0.0.1/hook"), "config.url"],
    [webhook("https://0.0.0.0:8080/hook"), "config.url"],
    [webhook("https://169.254.169.254/latest/meta-data/iam/"), "config.url"],
    [webhook("https://[::1]/hook"), "config.url"],
    [webhook("https://[::ffff:127.0.0.1]/hook"), "config.url"],
    [webhook("https://[::ffff:a9fe:a9fe]/hook"), "config.url"],
    [webhook("https://[fd00::1]/hook"), "config.url"],
    [webhook("https://100.64.0.7/hook"), "config.url"],
    [webhook("https://192.168.0.10/hook"), "config.url"],
    [webhook("https://localhost:8443/hook"), "config.url"],
    [webhook("https://internal.test/hook"), "config.url"],
    [webhook("https://metadata.test/hook"), "config.url"],
    [webhook("https://v6.internal.test/hook"), "config.url"],
    [webhook("https://cgnat.test/hook"), "config.url"],
    [
      { type: "meta", config: { pixel_id: "123", access_token: "EAAB-x", endpoint: "http://10.0.0.8" } },
      "config.endpoint",
    ],
    [
      { type: "tiktok", config: { pixel_code: "C1", access_token: "t", endpoint: "https://172.16.0.1" } },
      "config.endpoint",
    ],
    [
      {
        type: "linkedin",
        config: {
          access_token: "t",
          conversions: { Purchase: "urn:lla:llaPartnerConversion:1" },
          endpoint: "https://[fe80::1]",
        },
      },
      "config.endpoint",
    ],
    [google({ access_token: "ya29.x", endpoint: "https://127.0.0.1:9" }), "config.endpoint"],
    [
      google({
        client_id: "c",
        client_secret: "s",
        refresh_token: "r",
        endpoint: "https://ads.example.com",
        token_endpoint: "https://169.254.169.254/token",
      }),
      "config.token_endpoint",
    ],
  ])("refuses %j at creation: 422 endpoint_not_allowed naming %s", async (body, field) => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN);
    const res = await ws.api("POST", "/v1/destinations", body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("endpoint_not_allowed");
    expect(res.body.error.details).toEqual({ field });
    expect(res.body.error.message).toContain(`\`${field}\``);
    expect((await ws.api("GET", "/v1/destinations")).body.data).toEqual([]);
  });

  it("accepts https:// to a public name, and to a name that does not resolve yet", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN);
    await createDestination(ws.api, webhook("https://hooks.public.test/tally"));
    await createDestination(ws.api, webhook("https://not-yet.test/tally"));
    await createDestination(
      ws.api,
      google({
        client_id: "c",
        client_secret: "s",
        refresh_token: "r",
        endpoint: "https://ads.public.test",
        token_endpoint: "https://token.public.test/token",
      }),
    );
    expect((await ws.api("GET", "/v1/destinations")).body.data).toHaveLength(3);
  });

  it("refuses at connect a name that resolves to loopback by then: the delivery fails, nothing reaches the server", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN);
    // Not resolving at creation, loopback at send: DNS rebinding.
    const id = await createDestination(ws.api, webhook(`https://rebind.test:${internal.port}/hook`));
    const [ev] = await sendEvents(ws.api, [purchase()]);
    const [d] = await settled(ws.api, id, 1);
    expect(d).toMatchObject({ id: ev!.id, status: "failed", attempts: 1, last_status_code: null });
    expect(d!.last_error).toContain("endpoint_not_allowed");
    expect(d!.last_error).toContain("rebind.test resolved to a private, loopback or reserved address");
    expect(d!.last_error).not.toContain("INTERNAL-SECRET");
    expect(d!.last_error).not.toContain("127.0.0.1");
    expect(internal.connections()).toBe(0);
  });

  it("refuses at connect an OAuth token endpoint that resolves to loopback by then", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN);
    const id = await createDestination(
      ws.api,
      google({
        client_id: "c",
        client_secret: "s",
        refresh_token: "r",
        endpoint: `https://ads-rebind.test:${internal.port}`,
        token_endpoint: `https://token-rebind.test:${internal.port}/token`,
      }),
    );
    await sendEvents(ws.api, [purchase()]);
    const [d] = await settled(ws.api, id, 1);
    expect(d).toMatchObject({ status: "failed", last_status_code: null });
    expect(d!.last_error).toContain("endpoint_not_allowed: Google OAuth token endpoint token-rebind.test");
    expect(d!.last_error).not.toContain("INTERNAL-SECRET");
    expect(internal.connections()).toBe(0);
  });

  it("at most 50 destinations per workspace: the 51st is 409 limit_reached; deleting one frees a place", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++)
      ids.push(await createDestination(ws.api, webhook(`https://n${i}.later.test/hook`)));
    const res = await ws.api("POST", "/v1/destinations", webhook("https://n50.later.test/hook"));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "limit_reached", details: { limit: 50 } });
    expect((await ws.api("GET", "/v1/destinations")).body.data).toHaveLength(50);
    // another workspace is not affected
    const other = await createWorkspace(tally.url, ADMIN_TOKEN);
    await createDestination(other.api, webhook("https://other.later.test/hook"));
    expect((await ws.api("DELETE", `/v1/destinations/${ids[0]}`)).status).toBe(200);
    await createDestination(ws.api, webhook("https://n51.later.test/hook"));
    expect((await ws.api("POST", "/v1/destinations", webhook("https://n52.later.test/hook"))).status).toBe(
      409,
    );
  });
});

describe("a destination stored while private endpoints were allowed", () => {
  it("is refused at send once they are not: nothing reaches the server, no body in the ledger", async () => {
    const internal = await internalServer();
    const first = await startInProcess({ TALLY_ALLOW_PRIVATE_ENDPOINTS: "1", TALLY_OUTBOX: "false" });
    const dataDir = first.dataDir;
    let second: Tally | null = null;
    try {
      const ws = await createWorkspace(first.url, ADMIN_TOKEN);
      const id = await createDestination(ws.api, webhook(`http://127.0.0.1:${internal.port}/hook`));
      await sendEvents(ws.api, [purchase()]);
      await first.stop();
      second = await startInProcess({
        TALLY_DATA_DIR: dataDir,
        TALLY_ALLOW_PRIVATE_ENDPOINTS: "",
        TALLY_OUTBOX_POLL_MS: "20",
      });
      const api = client(second.url, ws.secret_key);
      const [d] = await settled(api, id, 1);
      expect(d).toMatchObject({ status: "failed", last_status_code: null });
      expect(d!.last_error).toContain("endpoint_not_allowed");
      expect(d!.last_error).not.toContain("INTERNAL-SECRET");
      expect(internal.connections()).toBe(0);
    } finally {
      await second?.cleanup();
      await internal.close();
    }
  });
});

describe("with TALLY_ALLOW_PRIVATE_ENDPOINTS=1", () => {
  let tally: Tally;
  let hook: FakeServer;
  beforeAll(async () => {
    hook = await startFakeWebhook(WEBHOOK_SECRET);
    // Every name is loopback: the connect-time lookup hands it through.
    tally = await startInProcess(
      { TALLY_OUTBOX_POLL_MS: "20" },
      { resolve: () => Promise.resolve(LOOPBACK) },
    );
  });
  afterAll(async () => {
    await tally?.cleanup();
    await hook?.close();
  });

  it("takes http:// to loopback, by address or by a name resolving there, and delivers", async () => {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN);
    const port = new URL(hook.url).port;
    const byAddress = await createDestination(ws.api, webhook(`${hook.url}/a`));
    const byName = await createDestination(ws.api, webhook(`http://hooks.internal.test:${port}/b`));
    const [ev] = await sendEvents(ws.api, [purchase()]);
    for (const id of [byAddress, byName])
      expect(await settled(ws.api, id, 1)).toMatchObject([{ id: ev!.id, status: "delivered" }]);
    expect(hook.requests.map((r) => r.path).sort()).toEqual(["/a", "/b"]);
  });
});
