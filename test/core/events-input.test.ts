/**
 * POST /v1/events with good, bad and mixed input: the request-level errors (400/401/403/413/
 * 415/422), the per-event rejections inside a 200, and what is kept of a batch that is
 * partly bad.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let ws: Ws;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Input shop");
});
afterAll(async () => {
  await tally?.cleanup();
});

const DAY = 86_400;

/** POSTs raw bytes to /v1/events with the secret key. */
async function postRaw(
  body: string | Buffer,
  contentType: string | null = "application/json",
  key: string | null = ws.secret_key,
) {
  const headers: Record<string, string> = {};
  if (contentType) headers["content-type"] = contentType;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${tally.url}/v1/events`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json };
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

const lead = () => ({ event_name: "Lead", event_time: nowSeconds() });

describe("request-level bad input", () => {
  const cases: {
    name: string;
    body: () => string | Buffer;
    contentType?: string | null;
    key?: () => string | null;
    status: number;
    code: string;
  }[] = [
    {
      name: "malformed JSON",
      body: () => '{"data": [{"event_name": "Lead",}]}',
      status: 400,
      code: "invalid_json",
    },
    { name: "an empty body", body: () => "", status: 400, code: "invalid_json" },
    {
      name: "a JSON array instead of an object",
      body: () => JSON.stringify([lead()]),
      status: 400,
      code: "invalid_body",
    },
    { name: "JSON null", body: () => "null", status: 400, code: "invalid_body" },
    { name: "a JSON string", body: () => '"data"', status: 400, code: "invalid_body" },
    { name: "no data", body: () => JSON.stringify({ events: [lead()] }), status: 400, code: "invalid_body" },
    {
      name: "data not a list",
      body: () => JSON.stringify({ data: lead() }),
      status: 400,
      code: "invalid_body",
    },
    {
      name: "deep nesting",
      body: () => JSON.stringify({ data: [{ ...lead(), custom_data: nested(40) }] }),
      status: 400,
      code: "nesting_too_deep",
    },
    {
      name: "deep nesting in arrays",
      body: () => `{"data":${"[".repeat(50)}${"]".repeat(50)}}`,
      status: 400,
      code: "nesting_too_deep",
    },
    {
      name: "a body over 1 MiB",
      body: () => JSON.stringify({ data: [{ ...lead(), custom_data: { note: "x".repeat(1_048_576) } }] }),
      status: 413,
      code: "body_too_large",
    },
    {
      name: "1001 events",
      body: () => JSON.stringify({ data: Array.from({ length: 1001 }, lead) }),
      status: 413,
      code: "batch_too_large",
    },
    { name: "empty data", body: () => JSON.stringify({ data: [] }), status: 422, code: "empty_batch" },
    {
      name: "a test_event_code that is not a string",
      body: () => JSON.stringify({ data: [lead()], test_event_code: 42 }),
      status: 422,
      code: "validation_failed",
    },
    {
      name: "invalid UTF-8 bytes",
      body: () =>
        Buffer.concat([
          Buffer.from('{"data":[{"event_name":"Lead","event_time":1,"custom_data":{"n":"'),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('"}}]}'),
        ]),
      status: 400,
      code: "invalid_utf8",
    },
    {
      name: "an overlong UTF-8 encoding",
      body: () => Buffer.concat([Buffer.from('{"data":["'), Buffer.from([0xc0, 0xaf]), Buffer.from('"]}')]),
      status: 400,
      code: "invalid_utf8",
    },
    {
      name: "Content-Type text/html",
      body: () => JSON.stringify({ data: [lead()] }),
      contentType: "text/html",
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "Content-Type form",
      body: () => "data=1",
      contentType: "application/x-www-form-urlencoded",
      status: 415,
      code: "unsupported_media_type",
    },
    // A Buffer body, so fetch adds no Content-Type of its own.
    {
      name: "no Content-Type",
      body: () => Buffer.from(JSON.stringify({ data: [lead()] })),
      contentType: null,
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "no key",
      body: () => JSON.stringify({ data: [lead()] }),
      key: () => null,
      status: 401,
      code: "missing_key",
    },
    {
      name: "an unknown secret key",
      body: () => JSON.stringify({ data: [lead()] }),
      key: () => "sk_doesnotexist",
      status: 401,
      code: "unknown_key",
    },
    {
      name: "a key of no known kind",
      body: () => JSON.stringify({ data: [lead()] }),
      key: () => "hello",
      status: 401,
      code: "unknown_key",
    },
    {
      name: "the public key",
      body: () => JSON.stringify({ data: [lead()] }),
      key: () => ws.public_key,
      status: 403,
      code: "key_not_allowed",
    },
  ];

  it.each(cases)("$name → $status $code", async ({ body, contentType, key, status, code }) => {
    const res = await postRaw(
      body(),
      contentType === undefined ? "application/json" : contentType,
      key ? key() : ws.secret_key,
    );
    expectError(res, status, code);
  });

  // Also the guard against a regex that backtracked quadratically over a long string in
  // custom_data (normalize.ts): this request used to hold the event loop for hours.
  it("a body just under the limit is accepted", async () => {
    const small = JSON.stringify({ data: [{ ...lead(), custom_data: { note: "" } }] });
    const body = JSON.stringify({
      data: [{ ...lead(), custom_data: { note: "x".repeat(1_048_576 - small.length - 10) } }],
    });
    expect(Buffer.byteLength(body)).toBeLessThan(1_048_576);
    const res = await postRaw(body);
    expect(res.status).toBe(200);
  });

  it("1000 events in one batch are accepted", async () => {
    const res = await ws.api("POST", "/v1/events", { data: Array.from({ length: 1000 }, lead) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 1000, accepted: 1000, rejected: 0 });
  });
});

describe("per-event rejections inside a 200", () => {
  const now = () => nowSeconds();
  const cases: { name: string; event: () => unknown; code: string; field?: string }[] = [
    { name: "a string", event: () => "Lead", code: "invalid_event" },
    { name: "null", event: () => null, code: "invalid_event" },
    { name: "an array", event: () => [lead()], code: "invalid_event" },
    { name: "a number", event: () => 42, code: "invalid_event" },
    {
      name: "no event_name",
      event: () => ({ event_time: now() }),
      code: "missing_field",
      field: "event_name",
    },
    {
      name: "event_name a number",
      event: () => ({ event_name: 7, event_time: now() }),
      code: "invalid_field",
      field: "event_name",
    },
    {
      name: "event_name an object",
      event: () => ({ event_name: { name: "Lead" }, event_time: now() }),
      code: "invalid_field",
      field: "event_name",
    },
    {
      name: "an unknown event_name",
      event: () => ({ event_name: "lead", event_time: now() }),
      code: "unknown_event_name",
      field: "event_name",
    },
    {
      name: "no event_time",
      event: () => ({ event_name: "Lead" }),
      code: "missing_field",
      field: "event_time",
    },
    {
      name: "event_time a boolean",
      event: () => ({ event_name: "Lead", event_time: true }),
      code: "invalid_field",
      field: "event_time",
    },
    {
      name: "event_time a word",
      event: () => ({ event_name: "Lead", event_time: "yesterday" }),
      code: "invalid_field",
      field: "event_time",
    },
    {
      name: "event_time ISO without a zone",
      event: () => ({ event_name: "Lead", event_time: new Date().toISOString().slice(0, 19) }),
      code: "invalid_field",
      field: "event_time",
    },
    {
      name: "event_time negative",
      event: () => ({ event_name: "Lead", event_time: -1 }),
      code: "invalid_field",
      field: "event_time",
    },
    {
      name: "event_time 8 days old",
      event: () => ({ event_name: "Lead", event_time: now() - 8 * DAY }),
      code: "event_too_old",
      field: "event_time",
    },
    {
      name: "event_time 8 days old (ISO)",
      event: () => ({ event_name: "Lead", event_time: new Date((now() - 8 * DAY) * 1000).toISOString() }),
      code: "event_too_old",
      field: "event_time",
    },
    {
      name: "event_time 11 minutes ahead",
      event: () => ({ event_name: "Lead", event_time: now() + 660 }),
      code: "event_in_future",
      field: "event_time",
    },
    {
      name: "event_time a day ahead (ms)",
      event: () => ({ event_name: "Lead", event_time: (now() + DAY) * 1000 }),
      code: "event_in_future",
      field: "event_time",
    },
    {
      name: "event_id an object",
      event: () => ({ ...lead(), event_id: { id: 1 } }),
      code: "invalid_field",
      field: "event_id",
    },
    {
      name: "event_id too long",
      event: () => ({ ...lead(), event_id: "x".repeat(300) }),
      code: "invalid_field",
      field: "event_id",
    },
    {
      name: "action_source unknown",
      event: () => ({ ...lead(), action_source: "tv" }),
      code: "invalid_field",
      field: "action_source",
    },
    {
      name: "event_source_url a number",
      event: () => ({ ...lead(), event_source_url: 5 }),
      code: "invalid_field",
      field: "event_source_url",
    },
    {
      name: "user_data a list",
      event: () => ({ ...lead(), user_data: [] }),
      code: "invalid_field",
      field: "user_data",
    },
    {
      name: "user_data.email a number",
      event: () => ({ ...lead(), user_data: { email: 5 } }),
      code: "invalid_field",
      field: "user_data.email",
    },
    {
      name: "user_data.gclid an object",
      event: () => ({ ...lead(), user_data: { gclid: {} } }),
      code: "invalid_field",
      field: "user_data.gclid",
    },
    {
      name: "custom_data a string",
      event: () => ({ ...lead(), custom_data: "99" }),
      code: "invalid_field",
      field: "custom_data",
    },
    {
      name: "value a word",
      event: () => ({ ...lead(), custom_data: { value: "ninety" } }),
      code: "invalid_field",
      field: "custom_data.value",
    },
    {
      name: "value a boolean",
      event: () => ({ ...lead(), custom_data: { value: true } }),
      code: "invalid_field",
      field: "custom_data.value",
    },
    {
      name: "currency of 2 letters",
      event: () => ({ ...lead(), custom_data: { currency: "US" } }),
      code: "invalid_field",
      field: "custom_data.currency",
    },
    {
      name: "order_id a list",
      event: () => ({ ...lead(), custom_data: { order_id: [1] } }),
      code: "invalid_field",
      field: "custom_data.order_id",
    },
    {
      name: "consent a string",
      event: () => ({ ...lead(), consent: "granted" }),
      code: "invalid_field",
      field: "consent",
    },
    {
      name: "consent value unknown",
      event: () => ({ ...lead(), consent: { analytics: "yes" } }),
      code: "invalid_field",
      field: "consent.analytics",
    },
    {
      name: "Purchase without value",
      event: () => ({ event_name: "Purchase", event_time: now(), custom_data: { currency: "USD" } }),
      code: "missing_field",
      field: "custom_data.value",
    },
    {
      name: "Purchase without currency",
      event: () => ({ event_name: "Purchase", event_time: now(), custom_data: { value: 5 } }),
      code: "missing_field",
      field: "custom_data.currency",
    },
  ];

  it.each(cases)("$name → rejected $code", async ({ event, code, field }) => {
    const res = await ws.api("POST", "/v1/events", { data: [event()] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 1, accepted: 0, duplicates: 0, rejected: 1 });
    const r = res.body.results[0];
    expect(r).toMatchObject({ index: 0, status: "rejected", error: { code } });
    expect(r.id).toBeUndefined();
    expect(typeof r.error.message).toBe("string");
    if (field) expect(r.error.field).toBe(field);
  });
});

describe("accepted input", () => {
  // A workspace of its own: the other tests' thousand Leads would crowd the first page.
  let times: Ws;
  beforeAll(async () => {
    times = await createWorkspace(tally.url, ADMIN_TOKEN, "Times");
  });

  /** Sends one Lead and reads back its stored event_time. */
  async function storedTime(eventTime: unknown): Promise<string> {
    const res = await times.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: eventTime }],
    });
    expect(res.body.results[0]).toMatchObject({ status: "accepted" });
    const id = res.body.results[0].id as string;
    const list = await times.api("GET", "/v1/conversions?limit=1000");
    const row = list.body.data.find((c: { id: string }) => c.id === id);
    expect(row).toBeDefined();
    return row.event_time as string;
  }

  const base = Math.floor(Date.now() / 1000) - 3600;
  const iso = new Date(base * 1000).toISOString();
  it.each([
    { name: "unix seconds", input: base, expected: iso },
    {
      name: "unix seconds with a fraction",
      input: base + 0.25,
      expected: new Date(base * 1000 + 250).toISOString(),
    },
    { name: "unix seconds as a numeric string", input: String(base), expected: iso },
    {
      name: "unix milliseconds",
      input: base * 1000 + 123,
      expected: new Date(base * 1000 + 123).toISOString(),
    },
    { name: "ISO-8601 UTC", input: iso, expected: iso },
    { name: "ISO-8601 without milliseconds", input: iso.replace(".000Z", "Z"), expected: iso },
    {
      name: "ISO-8601 with an offset",
      input: new Date(base * 1000 + 2 * 3600_000).toISOString().replace(".000Z", "+02:00"),
      expected: iso,
    },
    {
      name: "6 days and 23 hours old",
      input: base + 3600 - 7 * DAY + 3600,
      expected: new Date((base + 3600 - 7 * DAY + 3600) * 1000).toISOString(),
    },
    {
      name: "9 minutes ahead",
      input: base + 3600 + 540,
      expected: new Date((base + 3600 + 540) * 1000).toISOString(),
    },
  ])("event_time as $name", async ({ input, expected }) => {
    expect(await storedTime(input)).toBe(expected);
  });

  it("__proto__ and constructor keys pollute nothing and the event is kept", async () => {
    const body =
      `{"data":[{"event_name":"Lead","event_time":${nowSeconds()},"event_id":"proto-1",` +
      `"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted2":"yes"}},` +
      `"user_data":{"__proto__":{"isAdmin":true},"external_id":"proto-user"},` +
      `"custom_data":{"__proto__":{"value":1000000},"constructor":{"name":"x"},"value":3,"currency":"USD"}}]}`;
    const res = await times.api("POST", "/v1/events", body);
    expect(res.status).toBe(200);
    expect(res.body.results[0].status).toBe("accepted");
    const plain: Record<string, unknown> = {};
    expect(plain.polluted).toBeUndefined();
    expect(plain.polluted2).toBeUndefined();
    expect(plain.isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    const list = await times.api("GET", "/v1/conversions?limit=1000");
    const row = list.body.data.find((c: { id: string }) => c.id === res.body.results[0].id);
    expect(row).toMatchObject({ value: 3, currency: "USD" });
  });

  it("server-owned fields sent by the client (id, received_at, status) are ignored", async () => {
    const before = Date.now();
    const res = await times.api("POST", "/v1/events", {
      data: [
        {
          ...lead(),
          event_id: "owned-1",
          id: "evt_00000000000000000000000000",
          received_at: "2020-01-01T00:00:00.000Z",
          status: "duplicate",
          attribution: { touches: [] },
        },
      ],
    });
    expect(res.body.results[0].status).toBe("accepted");
    expect(res.body.results[0].id).not.toBe("evt_00000000000000000000000000");
    const list = await times.api("GET", "/v1/conversions?limit=1000");
    const row = list.body.data.find((c: { id: string }) => c.id === res.body.results[0].id);
    expect(Date.parse(row.received_at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("an email, phone or IP that does not parse is dropped with a warning; the event is kept", async () => {
    const res = await ws.api("POST", "/v1/events", {
      data: [
        {
          ...lead(),
          user_data: { email: "n/a", phone: "12", client_ip_address: "localhost", external_id: "kept" },
        },
      ],
    });
    expect(res.body.results[0]).toMatchObject({ status: "accepted" });
    expect(res.body.results[0].warnings).toEqual([
      "user_data.email is not an email address and was dropped",
      "user_data.phone is not a phone number and was dropped",
      "user_data.client_ip_address is not an IP address and was dropped",
    ]);
  });

  it("email and phone are accepted as em and ph too", async () => {
    const res = await ws.api("POST", "/v1/events", {
      data: [{ ...lead(), user_data: { em: "a@b.example", ph: "+14155550100" } }],
    });
    expect(res.body.results[0]).toEqual({
      index: 0,
      status: "accepted",
      id: expect.stringMatching(/^evt_/),
      match_quality: expect.objectContaining({ identifiers: ["email", "phone"], problems: [] }),
      quality: { score: 100, flags: [] },
    });
  });
});

describe("a mixed batch", () => {
  it("answers per event and keeps the good events, which then show in GET /v1/conversions", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Mixed");
    const t = nowSeconds() - 120;
    const res = await shop.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: t,
          event_id: "m-1",
          custom_data: { value: 10, currency: "USD" },
        },
        { event_name: "Purchase", event_time: t }, // no value, no currency
        "garbage",
        { event_name: "Lead", event_time: t + 1, event_id: "m-2" },
        {
          event_name: "Purchase",
          event_time: t,
          event_id: "m-1",
          custom_data: { value: 10, currency: "USD" },
        },
        { event_name: "Lead", event_time: t - 30 * DAY },
        { event_name: "PageView", event_time: t },
        { event_name: "Nope", event_time: t },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 8, accepted: 3, duplicates: 1, rejected: 4 });
    const st = res.body.results.map((r: { index: number; status: string; error?: { code: string } }) => [
      r.index,
      r.status,
      r.error?.code,
    ]);
    expect(st).toEqual([
      [0, "accepted", undefined],
      [1, "rejected", "missing_field"],
      [2, "rejected", "invalid_event"],
      [3, "accepted", undefined],
      [4, "duplicate", undefined],
      [5, "rejected", "event_too_old"],
      [6, "accepted", undefined],
      [7, "rejected", "unknown_event_name"],
    ]);
    expect(res.body.results[4].id).toBe(res.body.results[0].id);

    const list = await shop.api("GET", "/v1/conversions");
    // PageView is stored but is not a conversion.
    expect(
      list.body.data
        .map((c: { id: string; event_name: string; value: number | null }) => [c.id, c.event_name, c.value])
        .sort(),
    ).toEqual(
      [
        [res.body.results[0].id, "Purchase", 10],
        [res.body.results[3].id, "Lead", null],
      ].sort(),
    );
  });

  it("an all-bad batch is still a 200 with every event rejected", async () => {
    const res = await ws.api("POST", "/v1/events", { data: [1, "x", null, { event_name: "Lead" }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 4, accepted: 0, duplicates: 0, rejected: 4 });
  });

  it("a public key is 403 and an unknown key 401 for the whole batch", async () => {
    expectError(
      await client(tally.url, ws.public_key)("POST", "/v1/events", { data: [lead()] }),
      403,
      "key_not_allowed",
    );
  });
});
