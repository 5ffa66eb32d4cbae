/**
 * Every status code API.md names, endpoint by endpoint, against the real server on loopback:
 * the success shapes, and each error as the contract's `{"error": {"code", "message"}}`.
 * The browser collection endpoints (/t/*) are in browser-collection.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

const STANDARD = [
  "Purchase",
  "Lead",
  "CompleteRegistration",
  "AddToCart",
  "InitiateCheckout",
  "StartTrial",
  "Subscribe",
  "Contact",
  "SubmitApplication",
  "Schedule",
  "AppInstall",
];

let tally: Tally;
let ws: Ws;
let admin: ReturnType<typeof client>;
let anon: ReturnType<typeof client>;
let pub: ReturnType<typeof client>;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Status shop");
  admin = client(tally.url, ADMIN_TOKEN);
  anon = client(tally.url);
  pub = client(tally.url, ws.public_key);
});
afterAll(async () => {
  await tally?.cleanup();
});

const lead = (extra: Record<string, unknown> = {}) => ({
  event_name: "Lead",
  event_time: nowSeconds(),
  ...extra,
});

describe("POST /v1/workspaces and GET /v1/workspaces (admin)", () => {
  it("201 with both keys; the list never shows a secret key", async () => {
    const res = await admin("POST", "/v1/workspaces", {
      name: "Café",
      currency: "eur",
      timezone: "Europe/Paris",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Café", currency: "EUR", timezone: "Europe/Paris" });
    expect(res.body.id).toMatch(/^ws_/);
    expect(res.body.public_key).toMatch(/^pk_/);
    expect(res.body.secret_key).toMatch(/^sk_/);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);

    const list = await admin("GET", "/v1/workspaces");
    expect(list.status).toBe(200);
    const mine = list.body.data.find((w: { id: string }) => w.id === res.body.id);
    expect(mine).toMatchObject({
      id: res.body.id,
      name: "Café",
      public_key: res.body.public_key,
      created_at: res.body.created_at,
    });
    expect(JSON.stringify(list.body)).not.toContain("sk_");
    expect(JSON.stringify(list.body)).not.toContain("secret");
  });

  it("defaults currency USD and timezone UTC", async () => {
    const res = await admin("POST", "/v1/workspaces", { name: "Defaults" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ currency: "USD", timezone: "UTC" });
  });

  it.each([
    ["no name", {}, "validation_failed"],
    ["empty name", { name: "  " }, "validation_failed"],
    ["name not a string", { name: 5 }, "validation_failed"],
    ["bad currency", { name: "X", currency: "dollars" }, "validation_failed"],
    ["bad timezone", { name: "X", timezone: "Mars/Olympus" }, "validation_failed"],
  ])("422 for %s", async (_name, body, code) => {
    expectError(await admin("POST", "/v1/workspaces", body), 422, code);
  });

  it.each([
    ["POST", "/v1/workspaces"],
    ["GET", "/v1/workspaces"],
  ])("%s %s: 401 without a key or with an unknown one, 403 with a workspace key", async (method, path) => {
    const body = method === "POST" ? { name: "X" } : undefined;
    expectError(await anon(method, path, body), 401, "missing_key");
    expectError(await client(tally.url, "adm_wrong")(method, path, body), 401, "unknown_key");
    expectError(await client(tally.url, "sk_wrong")(method, path, body), 401, "unknown_key");
    expectError(await ws.api(method, path, body), 403, "key_not_allowed");
    expectError(await pub(method, path, body), 403, "key_not_allowed");
  });

  it("400 for malformed JSON, 415 for another content type, 413 for a body over 1 MiB", async () => {
    expectError(await admin("POST", "/v1/workspaces", '{"name":'), 400, "invalid_json");
    expectError(
      await admin("POST", "/v1/workspaces", "name=X", {
        "content-type": "application/x-www-form-urlencoded",
      }),
      415,
      "unsupported_media_type",
    );
    expectError(
      await admin("POST", "/v1/workspaces", { name: "x".repeat(1_100_000) }),
      413,
      "body_too_large",
    );
  });
});

describe("GET and PATCH /v1/workspace (secret key)", () => {
  it("200 with the workspace's own settings and their defaults", async () => {
    const res = await ws.api("GET", "/v1/workspace");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: ws.id,
      name: "Status shop",
      currency: "USD",
      timezone: "UTC",
      default_country: null,
      allowed_origins: [],
      consent_default: "denied",
    });
    expect(JSON.stringify(res.body)).not.toContain("sk_");
  });

  it("PATCH changes every setting and GET shows the change", async () => {
    const other = await createWorkspace(tally.url, ADMIN_TOKEN, "Patch me");
    const patch = {
      name: "Patched",
      currency: "GBP",
      timezone: "Europe/London",
      default_country: "gb",
      allowed_origins: ["https://shop.example", "https://shop.example/"],
      consent_default: "granted",
    };
    const res = await other.api("PATCH", "/v1/workspace", patch);
    expect(res.status).toBe(200);
    const expected = {
      name: "Patched",
      currency: "GBP",
      timezone: "Europe/London",
      default_country: "GB",
      allowed_origins: ["https://shop.example"],
      consent_default: "granted",
    };
    expect(res.body).toMatchObject(expected);
    expect((await other.api("GET", "/v1/workspace")).body).toMatchObject(expected);
    const cleared = await other.api("PATCH", "/v1/workspace", { default_country: null, allowed_origins: [] });
    expect(cleared.body).toMatchObject({ default_country: null, allowed_origins: [] });
  });

  it.each([
    ["an unknown setting", { colour: "red" }],
    ["a secret key", { secret_key: "sk_mine" }],
    ["an empty name", { name: "" }],
    ["a bad currency", { currency: "US" }],
    ["a bad timezone", { timezone: "Nowhere/Else" }],
    ["a bad default_country", { default_country: "USA" }],
    ["allowed_origins not a list", { allowed_origins: "https://shop.example" }],
    ["an origin with a path", { allowed_origins: ["https://shop.example/cart"] }],
    ["an origin that is not a URL", { allowed_origins: ["shop"] }],
    ["a bad consent_default", { consent_default: "maybe" }],
  ])("PATCH 422 for %s", async (_name, body) => {
    expectError(await ws.api("PATCH", "/v1/workspace", body), 422, "validation_failed");
  });

  it("401 without a key, 403 for the public key and for the admin without X-Tally-Workspace", async () => {
    for (const method of ["GET", "PATCH"]) {
      const body = method === "PATCH" ? { name: "X" } : undefined;
      expectError(await anon(method, "/v1/workspace", body), 401, "missing_key");
      expectError(await client(tally.url, "sk_nope")(method, "/v1/workspace", body), 401, "unknown_key");
      expectError(await pub(method, "/v1/workspace", body), 403, "key_not_allowed");
      expectError(await admin(method, "/v1/workspace", body), 403, "key_not_allowed");
    }
  });

  it("the admin acts on a workspace named by X-Tally-Workspace; an unknown one is 404", async () => {
    const res = await admin("GET", "/v1/workspace", undefined, { "x-tally-workspace": ws.id });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(ws.id);
    expectError(
      await admin("GET", "/v1/workspace", undefined, { "x-tally-workspace": "ws_nope" }),
      404,
      "not_found",
    );
  });
});

describe("conversion actions", () => {
  it("GET lists the standard actions: 30-day click and 1-day view windows, Purchase needs value and currency", async () => {
    const res = await ws.api("GET", "/v1/conversion-actions");
    expect(res.status).toBe(200);
    const byName = new Map<string, Record<string, unknown>>(
      res.body.data.map((a: { name: string }) => [a.name, a]),
    );
    for (const name of STANDARD) {
      expect(byName.get(name)).toEqual({
        name,
        required: name === "Purchase" ? ["value", "currency"] : [],
        click_window_days: 30,
        view_window_days: 1,
      });
    }
    for (const name of ["PageView", "ViewContent", "Search"]) expect(byName.has(name)).toBe(false);
  });

  it("PUT creates a new action (then events of that name are conversions) and updates an existing one", async () => {
    const created = await ws.api("PUT", "/v1/conversion-actions/Demo_Booked_2", {
      required: ["order_id"],
      click_window_days: 7,
      view_window_days: 0,
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      name: "Demo_Booked_2",
      required: ["order_id"],
      click_window_days: 7,
      view_window_days: 0,
    });
    const list = await ws.api("GET", "/v1/conversion-actions");
    expect(list.body.data).toContainEqual(created.body);

    const missing = await ws.api("POST", "/v1/events", {
      data: [{ event_name: "Demo_Booked_2", event_time: nowSeconds() }],
    });
    expect(missing.body.results[0]).toMatchObject({ status: "rejected", error: { code: "missing_field" } });
    const ok = await ws.api("POST", "/v1/events", {
      data: [{ event_name: "Demo_Booked_2", event_time: nowSeconds(), custom_data: { order_id: "d-1" } }],
    });
    expect(ok.body.results[0].status).toBe("accepted");
    const conv = await ws.api("GET", "/v1/conversions");
    expect(conv.body.data.map((c: { id: string }) => c.id)).toContain(ok.body.results[0].id);

    const updated = await ws.api("PUT", "/v1/conversion-actions/Lead", { click_window_days: 2.5 });
    expect(updated.body).toEqual({ name: "Lead", required: [], click_window_days: 2.5, view_window_days: 1 });
    const put = await ws.api("PUT", "/v1/conversion-actions/Lead", { click_window_days: 30 });
    expect(put.status).toBe(200);
  });

  it.each([
    { why: "a name with a dash", name: "Bad-Name", body: {}, status: 422, code: "validation_failed" },
    {
      why: "a name of 65 characters",
      name: "A".repeat(65),
      body: {},
      status: 422,
      code: "validation_failed",
    },
    { why: "a non-conversion event", name: "PageView", body: {}, status: 409, code: "conflict" },
    { why: "an unknown field", name: "Lead", body: { windows: 3 }, status: 422, code: "validation_failed" },
    {
      why: "a window that is not a number",
      name: "Lead",
      body: { click_window_days: "30" },
      status: 422,
      code: "validation_failed",
    },
    {
      why: "a negative window",
      name: "Lead",
      body: { view_window_days: -1 },
      status: 422,
      code: "validation_failed",
    },
    {
      why: "a window over 90 days",
      name: "Lead",
      body: { click_window_days: 91 },
      status: 422,
      code: "validation_failed",
    },
    {
      why: "required not a list",
      name: "Lead",
      body: { required: "value" },
      status: 422,
      code: "validation_failed",
    },
    {
      why: "an unknown required field",
      name: "Lead",
      body: { required: ["shoe_size"] },
      status: 422,
      code: "validation_failed",
    },
  ])("PUT: $why is $status $code", async ({ name, body, status, code }) => {
    expectError(
      await ws.api("PUT", `/v1/conversion-actions/${encodeURIComponent(name)}`, body),
      status,
      code,
    );
  });

  it("401 without a key, 403 for the public key", async () => {
    expectError(await anon("GET", "/v1/conversion-actions"), 401, "missing_key");
    expectError(await pub("GET", "/v1/conversion-actions"), 403, "key_not_allowed");
    expectError(await anon("PUT", "/v1/conversion-actions/X", {}), 401, "missing_key");
    expectError(await pub("PUT", "/v1/conversion-actions/X", {}), 403, "key_not_allowed");
  });

  it("an unknown event name is rejected with a message that lists the defined names", async () => {
    const res = await ws.api("POST", "/v1/events", { data: [lead({ event_name: "Purchased" })] });
    expect(res.body.results[0]).toMatchObject({
      status: "rejected",
      error: { code: "unknown_event_name", field: "event_name" },
    });
    for (const name of [...STANDARD, "PageView", "ViewContent", "Search"])
      expect(res.body.results[0].error.message).toContain(name);
  });
});

describe("POST /v1/events", () => {
  it("200 with a result per event", async () => {
    const res = await ws.api("POST", "/v1/events", {
      data: [lead({ event_id: "sc-1" }), lead({ event_id: "sc-1" }), { event_name: "Lead" }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 3, accepted: 1, duplicates: 1, rejected: 1 });
    expect(res.body.results).toEqual([
      {
        index: 0,
        status: "accepted",
        id: expect.stringMatching(/^evt_/),
        match_quality: expect.objectContaining({ score: expect.any(Number) }),
        quality: { score: 100, flags: [] },
      },
      { index: 1, status: "duplicate", id: res.body.results[0].id },
      {
        index: 2,
        status: "rejected",
        error: expect.objectContaining({ code: "missing_field", message: expect.any(String) }),
      },
    ]);
  });

  it("401, 403, 400, 413, 415 and 422 as the contract says", async () => {
    expectError(await anon("POST", "/v1/events", { data: [lead()] }), 401, "missing_key");
    expectError(
      await client(tally.url, "sk_unknown")("POST", "/v1/events", { data: [lead()] }),
      401,
      "unknown_key",
    );
    expectError(await pub("POST", "/v1/events", { data: [lead()] }), 403, "key_not_allowed");
    expectError(await ws.api("POST", "/v1/events", '{"data": [}'), 400, "invalid_json");
    expectError(
      await ws.api("POST", "/v1/events", { data: Array.from({ length: 1001 }, () => lead()) }),
      413,
      "batch_too_large",
    );
    expectError(
      await ws.api("POST", "/v1/events", JSON.stringify({ data: [lead()] }), { "content-type": "text/csv" }),
      415,
      "unsupported_media_type",
    );
    expectError(await ws.api("POST", "/v1/events", { data: [] }), 422, "empty_batch");
  });
});

describe("GET /v1/conversions", () => {
  it("200 with data and next_cursor; times out are ISO-8601 UTC with milliseconds", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Conversions");
    const t = nowSeconds() - 60;
    await shop.api("POST", "/v1/events", {
      data: [0, 1, 2].map((i) => ({ event_name: "Lead", event_time: t + i, event_id: `c${i}` })),
    });
    const page1 = await shop.api("GET", "/v1/conversions?limit=2");
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(2);
    const c = page1.body.data[0];
    expect(Object.keys(c).sort()).toEqual([
      "attribution",
      "currency",
      "event_name",
      "event_time",
      "id",
      "quality",
      "received_at",
      "value",
    ]);
    expect(c.event_time).toBe(new Date((t + 2) * 1000).toISOString());
    expect(c.received_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(c.attribution).toEqual({ model: "last_click", touches: [] });
    expect(typeof page1.body.next_cursor).toBe("string");
    const page2 = await shop.api("GET", `/v1/conversions?limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.data[0].event_time).toBe(new Date(t * 1000).toISOString());
    // from is inclusive, to exclusive; unix seconds and ISO both work.
    const ranged = await shop.api(
      "GET",
      `/v1/conversions?from=${t + 1}&to=${encodeURIComponent(new Date((t + 2) * 1000).toISOString())}`,
    );
    expect(ranged.body.data.map((x: { event_time: string }) => x.event_time)).toEqual([
      new Date((t + 1) * 1000).toISOString(),
    ]);
  });

  it.each([
    ["from=yesterday", "invalid_query"],
    ["to=2026-01-01T00:00:00", "invalid_query"],
    ["from=2000000000&to=1000000000", "invalid_query"],
    ["limit=0", "invalid_query"],
    ["limit=1001", "invalid_query"],
    ["limit=ten", "invalid_query"],
    ["model=nope", "invalid_query"],
    ["from=1&from=2", "invalid_query"],
    ["cursor=not-a-cursor", "invalid_cursor"],
  ])("400 for ?%s", async (qs, code) => {
    expectError(await ws.api("GET", `/v1/conversions?${qs}`), 400, code);
  });

  it("401 without a key, 403 for the public key", async () => {
    expectError(await anon("GET", "/v1/conversions"), 401, "missing_key");
    expectError(await pub("GET", "/v1/conversions"), 403, "key_not_allowed");
  });
});

describe("health and Prometheus", () => {
  it("GET /healthz and /readyz answer 200 without a key", async () => {
    const h = await anon("GET", "/healthz");
    expect(h.status).toBe(200);
    const r = await anon("GET", "/readyz");
    expect(r.status).toBe(200);
  });

  it("GET /metrics is Prometheus text for the admin only", async () => {
    const res = await fetch(`${tally.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^# (HELP|TYPE) /m);
    expectError(await anon("GET", "/metrics"), 401, "missing_key");
    expectError(await ws.api("GET", "/metrics"), 403, "key_not_allowed");
    expectError(await pub("GET", "/metrics"), 403, "key_not_allowed");
  });

  it("an unknown endpoint, or a known path with another method, is 404 in the contract's shape", async () => {
    expectError(await ws.api("GET", "/v1/nothing-here"), 404, "route_not_found");
    expectError(await ws.api("DELETE", "/v1/events"), 404, "route_not_found");
  });

  it("the body is read before the key is checked (docs/errors.md): 413 and 400 come before 401", async () => {
    expectError(
      await anon("POST", "/v1/events", { data: [], pad: "x".repeat(1_100_000) }),
      413,
      "body_too_large",
    );
    expectError(await anon("POST", "/v1/events", "{oops"), 400, "invalid_json");
    expectError(await anon("POST", "/v1/events", { data: [] }), 401, "missing_key");
  });
});

describe("when the store is unreachable", () => {
  let broken: Tally;
  let shop: Ws;
  let cold: Ws;
  beforeAll(async () => {
    broken = await startInProcess();
    shop = await createWorkspace(broken.url, ADMIN_TOKEN, "Broken");
    cold = await createWorkspace(broken.url, ADMIN_TOKEN, "Never used");
    // Warm the key cache, so the writes below reach the store rather than stopping at auth.
    expect((await shop.api("GET", "/v1/workspace")).status).toBe(200);
    await broken.deps.store.close();
  });
  afterAll(async () => {
    await broken?.cleanup();
  });

  it("/readyz answers 503 not_ready with Retry-After", async () => {
    const ready = await client(broken.url)("GET", "/readyz");
    expectError(ready, 503, "not_ready");
    expect(Number(ready.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("a write answers 503 not_ready with Retry-After, never a 500", async () => {
    const write = await shop.api("POST", "/v1/clicks", {
      data: [{ time: nowSeconds(), platform: "google", campaign: "c" }],
    });
    expectError(write, 503, "not_ready");
    expect(Number(write.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  // Known bug, reported (src/storage/sqlite/sqlite-store.ts, src/http/server.ts): an error of
  // the SQLite *reader* (here "The database connection is not open", in production an
  // SQLITE_IOERR or SQLITE_BUSY) is not a StoreError, so the handler answers 500, not 503.
  // A key not yet in the directory's cache makes auth read the store. Drop `.fails` once
  // reader errors map to not_ready.
  it("a request whose reads fail answers 503, never a 500", async () => {
    expectError(await cold.api("GET", "/v1/workspace"), 503, "not_ready");
  });
});
