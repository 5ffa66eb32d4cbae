/**
 * Smaller holes (issue 11, item 7), on real HTTP: a bad cookie escape, control characters in
 * ids, the pixel and `allowed_origins`, the dashboard's CSP, `/readyz` hiding the store's own
 * error, and the session cookie's `Secure` flag behind HTTPS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let ws: Ws;
beforeAll(async () => {
  tally = await startInProcess({ TALLY_TRUST_PROXY: "127.0.0.1" });
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Hardened");
});
afterAll(async () => {
  await tally?.cleanup();
});

const json = async (r: Response) => ({
  status: r.status,
  headers: r.headers,
  body: (await r.json()) as unknown,
});

describe("cookies", () => {
  it.each([
    ["a bad % escape in the session cookie", "tally_session=%E0%A4%A"],
    ["a lone %", "tally_session=%"],
    ["a bad escape in another cookie", "theme=%zz; tally_session=%C0%AF"],
    ["no value", "tally_session"],
    ["garbage", ";;;=;=%%%"],
  ])("%s is a 401, never a 500", async (_name, cookie) => {
    for (const [method, path] of [
      ["GET", "/v1/workspaces"],
      ["GET", "/v1/session"],
      ["DELETE", "/v1/session"],
    ] as const) {
      const r = await fetch(tally.url + path, { method, headers: { cookie } });
      expect(r.status, `${method} ${path}`).toBe(401);
      const body = (await r.json()) as { error: { code: string } };
      expect(["unknown_key", "missing_key"]).toContain(body.error.code);
    }
  });
});

describe("control characters in event_id and order_id", () => {
  it.each([
    ["CR LF", "order-1\r\nIdempotency-Key: x"],
    ["NUL", "order\u0000"],
    ["tab", "order\t1"],
    ["DEL", "order\u007f"],
  ])("%s: the event is rejected with invalid_field, the others of the batch kept", async (_n, id) => {
    const res = await ws.api("POST", "/v1/events", {
      data: [
        { event_name: "Lead", event_time: nowSeconds(), event_id: id },
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          custom_data: { value: 5, currency: "USD", order_id: id },
        },
        { event_name: "Lead", event_time: nowSeconds(), event_id: `fine-${id.length}-${id.charCodeAt(5)}` },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({
      status: "rejected",
      error: { code: "invalid_field", field: "event_id" },
    });
    expect(res.body.results[1]).toMatchObject({
      status: "rejected",
      error: { code: "invalid_field", field: "custom_data.order_id" },
    });
    expect(res.body.results[2].status).toBe("accepted");
  });

  it("the pixel too: the GIF, with the rejection named", async () => {
    const r = await fetch(`${tally.url}/t/p.gif?k=${ws.public_key}&en=Lead&eid=a%0D%0Ab`);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-tally-rejected")).toBe("invalid_field");
  });
});

describe("the pixel obeys allowed_origins by Referer or Origin", () => {
  let shop: Ws;
  beforeAll(async () => {
    shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Picky");
    const set = await shop.api("PATCH", "/v1/workspace", { allowed_origins: ["https://shop.example"] });
    expect(set.status).toBe(200);
  });

  const pixel = (eid: string, headers: Record<string, string>) =>
    fetch(`${tally.url}/t/p.gif?k=${shop.public_key}&en=Lead&eid=${eid}&t=${nowSeconds()}`, { headers });
  const counts = async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const m = await shop.api("GET", `/v1/metrics?bucket=hour&from=${encodeURIComponent(from)}`);
    const c = { accepted: 0, rejected: 0, conversions: 0 };
    for (const b of m.body.buckets as (typeof c)[]) {
      c.accepted += b.accepted;
      c.rejected += b.rejected;
      c.conversions += b.conversions;
    }
    return c;
  };

  it.each([
    ["a Referer of another site", { referer: "https://evil.example/page" }, "evil-referer"],
    ["an Origin of another site", { origin: "https://evil.example" }, "evil-origin"],
    ["another scheme of the allowed host", { referer: "http://shop.example/" }, "evil-scheme"],
    ["a Referer that is no URL", { referer: "not a url" }, "evil-garbage"],
    ["an opaque Origin: null", { origin: "null" }, "evil-null"],
  ])("from %s: still the GIF, nothing recorded, counted as rejected", async (_n, headers, eid) => {
    const before = await counts();
    const r = await pixel(eid, headers);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/gif");
    expect(r.headers.get("x-tally-rejected")).toBe("origin_not_allowed");
    expect(await counts()).toEqual({ ...before, rejected: before.rejected + 1 });
  });

  it.each([
    ["a Referer of the allowed site", { referer: "https://shop.example/thanks?order=1" }, "ok-referer"],
    ["its Origin", { origin: "https://shop.example" }, "ok-origin"],
    ["no Referer or Origin at all (an email, a strict referrer policy)", {}, "ok-none"],
  ])("from %s: recorded", async (_n, headers, eid) => {
    const before = await counts();
    const r = await pixel(eid, headers);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-tally-rejected")).toBeNull();
    expect(await counts()).toEqual({
      ...before,
      accepted: before.accepted + 1,
      conversions: before.conversions + 1,
    });
  });
});

describe("the dashboard's Content-Security-Policy", () => {
  it("lets the page connect to its own origin only: no ws: or wss: wildcard", async () => {
    const host = new URL(tally.url).host;
    const r = await fetch(`${tally.url}/`);
    const csp = r.headers.get("content-security-policy")!;
    const connect = csp
      .split(";")
      .map((d) => d.trim())
      .find((d) => d.startsWith("connect-src"))!;
    expect(connect.split(/\s+/).slice(1).sort()).toEqual(["'self'", `ws://${host}`].sort());
  });

  it("behind a trusted HTTPS proxy: wss to the page's own host", async () => {
    const r = await fetch(`${tally.url}/`, {
      headers: { "x-forwarded-proto": "https", "x-forwarded-host": "track.example" },
    });
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("connect-src 'self' wss://track.example;");
  });

  it("a Host that is not a host name adds nothing", async () => {
    const r = await fetch(`${tally.url}/`, { headers: { "x-forwarded-host": "evil.example; script-src *" } });
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toContain("evil");
  });
});

describe("the session cookie", () => {
  const login = (headers: Record<string, string>) =>
    fetch(`${tally.url}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });

  it("is HttpOnly and SameSite=Strict, without Secure over plain HTTP", async () => {
    const c = (await login({})).headers.get("set-cookie")!;
    expect(c).toMatch(/HttpOnly/i);
    expect(c).toMatch(/SameSite=Strict/i);
    expect(c).not.toMatch(/Secure/i);
  });

  it("is Secure when a trusted proxy says the request came over HTTPS", async () => {
    const c = (await login({ "x-forwarded-proto": "https" })).headers.get("set-cookie")!;
    expect(c).toMatch(/;\s*Secure/i);
  });

  it("an untrusted client cannot ask for it (nor fool the server about HTTPS)", async () => {
    const direct = await startInProcess();
    try {
      const r = await fetch(`${direct.url}/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
        body: JSON.stringify({ token: ADMIN_TOKEN }),
      });
      expect(r.headers.get("set-cookie")).not.toMatch(/Secure/i);
    } finally {
      await direct.cleanup();
    }
  });
});

describe("/readyz when the store is away", () => {
  it("answers 503 not_ready without the store's own error", async () => {
    const broken = await startInProcess();
    try {
      await broken.deps.store.close();
      const r = await json(await fetch(`${broken.url}/readyz`));
      expectError(r, 503, "not_ready");
      const text = JSON.stringify(r.body);
      expect(text).not.toMatch(/closed|sqlite|database|\/tmp|tally\.db|ECONN/i);
      expect(broken.deps.readiness.reason).toBeTruthy(); // the operator's log gets it
    } finally {
      await broken.cleanup();
    }
  });
});

describe("the admin token", () => {
  it("a token shorter than 24 characters is refused at login without a lookup", async () => {
    const r = await client(tally.url)("POST", "/v1/session", { token: ADMIN_TOKEN.slice(0, 23) });
    expectError(r, 401, "unknown_key");
  });
});
