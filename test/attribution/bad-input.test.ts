/**
 * Bad input around attribution: touch imports (per item, like /v1/events), tracking links,
 * and the report's query parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "../core/expect-error.js";
import { DAY, type Ws } from "./attribution-api.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;

let tally: Tally;
let ws: Ws;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Bad touches");
});
afterAll(async () => {
  await tally?.cleanup();
});

const touch = (extra: Record<string, unknown> = {}) => ({
  time: nowSeconds() - 60,
  platform: "google",
  campaign: "c",
  ...extra,
});

describe("POST /v1/clicks and /v1/impressions: per-item rejections inside a 200", () => {
  const cases: { name: string; item: () => unknown; code: string; field?: string }[] = [
    { name: "not an object", item: () => "click", code: "invalid_event" },
    { name: "null", item: () => null, code: "invalid_event" },
    {
      name: "no platform",
      item: () => ({ time: nowSeconds(), campaign: "c" }),
      code: "missing_field",
      field: "platform",
    },
    {
      name: "an empty platform",
      item: () => touch({ platform: "" }),
      code: "missing_field",
      field: "platform",
    },
    {
      name: "no campaign",
      item: () => ({ time: nowSeconds(), platform: "google" }),
      code: "missing_field",
      field: "campaign",
    },
    {
      name: "platform an object",
      item: () => touch({ platform: { name: "google" } }),
      code: "invalid_field",
      field: "platform",
    },
    {
      name: "no time",
      item: () => ({ platform: "google", campaign: "c" }),
      code: "missing_field",
      field: "time",
    },
    {
      name: "time a word",
      item: () => touch({ time: "last tuesday" }),
      code: "invalid_field",
      field: "time",
    },
    {
      name: "time ISO without a zone",
      item: () => touch({ time: "2026-11-01T10:00:00" }),
      code: "invalid_field",
      field: "time",
    },
    {
      name: "time 91 days old",
      item: () => touch({ time: nowSeconds() - 91 * DAY }),
      code: "event_too_old",
      field: "time",
    },
    {
      name: "time an hour ahead",
      item: () => touch({ time: nowSeconds() + 3600 }),
      code: "event_in_future",
      field: "time",
    },
    {
      name: "a gclid with a space",
      item: () => touch({ gclid: "abc def" }),
      code: "invalid_field",
      field: "gclid",
    },
    {
      name: "a click_id with a newline",
      item: () => touch({ click_id: "tc.x\nforged" }),
      code: "invalid_field",
      field: "click_id",
    },
    {
      name: "an fbclid that is a number",
      item: () => touch({ fbclid: 12345 }),
      code: "invalid_field",
      field: "fbclid",
    },
    {
      name: "a click id of 513 characters",
      item: () => touch({ ttclid: "x".repeat(513) }),
      code: "invalid_field",
      field: "ttclid",
    },
    {
      name: "an email that is not one",
      item: () => touch({ email: "not-an-email" }),
      code: "invalid_field",
      field: "email",
    },
    {
      name: "an email that is not a string",
      item: () => touch({ email: ["a@b.example"] }),
      code: "invalid_field",
      field: "email",
    },
    {
      name: "a phone that is a number",
      item: () => touch({ phone: 4155550100 }),
      code: "invalid_field",
      field: "phone",
    },
    {
      name: "a campaign of 257 characters",
      item: () => touch({ campaign: "c".repeat(257) }),
      code: "invalid_field",
      field: "campaign",
    },
  ];

  it.each(cases)("$name → rejected $code", async ({ item, code, field }) => {
    for (const kind of ["clicks", "impressions"]) {
      const res = await ws.api("POST", `/v1/${kind}`, { data: [touch(), item()] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 2, accepted: 1, duplicates: 0, rejected: 1 });
      expect(res.body.results[0]).toMatchObject({ index: 0, status: "accepted" });
      expect(res.body.results[1]).toMatchObject({
        index: 1,
        status: "rejected",
        error: { code, ...(field ? { field } : {}) },
      });
    }
  });

  it("a touch exactly 89 days old and one 9 minutes ahead are accepted", async () => {
    const res = await ws.api("POST", "/v1/clicks", {
      data: [touch({ time: nowSeconds() - 89 * DAY }), touch({ time: nowSeconds() + 540 })],
    });
    expect(res.body.accepted).toBe(2);
  });

  it("a touch_id re-import is a duplicate carrying the first touch's id, in a later request or the same one", async () => {
    const first = await ws.api("POST", "/v1/clicks", { data: [touch({ touch_id: "export-row-1" })] });
    expect(first.body.results[0].status).toBe("accepted");
    const again = await ws.api("POST", "/v1/clicks", {
      data: [
        touch({ touch_id: "export-row-1", campaign: "changed" }),
        touch({ touch_id: "export-row-2" }),
        touch({ touch_id: "export-row-2" }),
      ],
    });
    expect(again.body).toMatchObject({ received: 3, accepted: 1, duplicates: 2, rejected: 0 });
    expect(again.body.results[0]).toEqual({ index: 0, status: "duplicate", id: first.body.results[0].id });
    expect(again.body.results[2]).toEqual({ index: 2, status: "duplicate", id: again.body.results[1].id });
  });

  it("a re-imported touch counts once: the conversion after it has one touch", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Reimport");
    const t = {
      time: nowSeconds() - DAY,
      platform: "meta",
      campaign: "once",
      touch_id: "row-9",
      anonymous_id: "reimporter",
    };
    await shop.api("POST", "/v1/clicks", { data: [t] });
    await shop.api("POST", "/v1/clicks", { data: [t] });
    const ev = await shop.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: nowSeconds(), user_data: { anonymous_id: "reimporter" } }],
    });
    const list = await shop.api("GET", "/v1/conversions?model=linear");
    expect(
      list.body.data.find((c: { id: string }) => c.id === ev.body.results[0].id).attribution.touches,
    ).toMatchObject([{ campaign: "once", credit: 1 }]);
  });

  it.each([
    { name: "empty data", body: { data: [] }, status: 422, code: "empty_batch" },
    {
      name: "1001 touches",
      body: { data: Array.from({ length: 1001 }, () => touch()) },
      status: 413,
      code: "batch_too_large",
    },
    { name: "data not a list", body: { data: touch() }, status: 400, code: "invalid_body" },
  ])("the whole request: $name is $status $code", async ({ body, status, code }) => {
    expectError(await ws.api("POST", "/v1/clicks", body), status, code);
  });

  it("no key is 401, the public key 403", async () => {
    expectError(await client(tally.url)("POST", "/v1/clicks", { data: [touch()] }), 401, "missing_key");
    expectError(
      await client(tally.url, ws.public_key)("POST", "/v1/impressions", { data: [touch()] }),
      403,
      "key_not_allowed",
    );
  });
});

describe("tracking links", () => {
  it("an unknown link id is 404 not_found", async () => {
    const res = await fetch(`${tally.url}/c/lnk_0000000000000000000000zzzz`, { redirect: "manual" });
    expectError(
      { status: res.status, headers: res.headers, body: (await res.json()) as unknown },
      404,
      "not_found",
    );
  });
});

describe("GET /v1/reports/attribution query", () => {
  it.each([
    ["model=nope", "model"],
    ["model=LAST_CLICK", "model"],
    ["group_by=country", "group_by"],
    ["group_by=", null],
    ["from=soon", "from"],
    ["from=2000000000&to=1000000000", "from"],
    ["model=linear&model=first_click", "model"],
  ])("?%s", async (qs, field) => {
    const res = await ws.api("GET", `/v1/reports/attribution?${qs}`);
    if (field === null) {
      // An empty parameter means its default.
      expect(res.status).toBe(200);
      return;
    }
    expectError(res, 400, "invalid_query");
    expect(res.body.error.details).toMatchObject({ field });
  });

  it("defaults: last_click by platform; rows only for keys with credit", async () => {
    const res = await ws.api("GET", "/v1/reports/attribution");
    expect(res.status).toBe(200);
    expect(res.body.model).toBe("last_click");
    expect(Array.isArray(res.body.rows)).toBe(true);
    for (const r of res.body.rows) expect(r.conversions).toBeGreaterThan(0);
    expect(res.body.unattributed).toEqual({ conversions: expect.any(Number), value: expect.any(Number) });
  });

  it("GET /v1/conversions?model=nope is 400 invalid_query too", async () => {
    expectError(await ws.api("GET", "/v1/conversions?model=nope"), 400, "invalid_query");
  });
});
