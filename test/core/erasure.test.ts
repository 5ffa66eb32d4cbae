/**
 * POST /v1/erasure: "removes every identifier linked to that person and the links themselves;
 * aggregate counts stay". Checked through the API and in the store's rows; the bytes of the
 * files, URLs and custom_data are erasure-bytes.test.ts's.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let ws: Ws;
let db: Database.Database;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Erasure");
  db = new Database(join(tally.dataDir, "tally.db"), { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db?.close();
  await tally?.cleanup();
});

/** The person: a click, a sign-up linking three identifiers, a purchase. */
async function person(tag: string): Promise<{ purchase: string }> {
  await ws.api("POST", "/v1/clicks", {
    data: [
      { time: nowSeconds() - 3600, platform: "google", campaign: `camp-${tag}`, anonymous_id: `anon-${tag}` },
    ],
  });
  await ws.api("POST", "/v1/events", {
    data: [
      {
        event_name: "CompleteRegistration",
        event_time: nowSeconds() - 60,
        user_data: { anonymous_id: `anon-${tag}`, external_id: `ext-${tag}`, email: `${tag}@example.com` },
      },
    ],
  });
  const p = await ws.api("POST", "/v1/events", {
    data: [
      {
        event_name: "Purchase",
        event_time: nowSeconds(),
        user_data: { external_id: `ext-${tag}` },
        custom_data: { value: 30, currency: "USD" },
      },
    ],
  });
  return { purchase: p.body.results[0].id };
}

describe("POST /v1/erasure", () => {
  it("200 with how many identifiers were erased, by any one of the person's identifiers", async () => {
    await person("by-email");
    const res = await ws.api("POST", "/v1/erasure", { email: " BY-EMAIL@example.com " });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ erased: 3 }); // email, external_id, anonymous_id
    expect((await ws.api("POST", "/v1/erasure", { anonymous_id: "anon-by-email" })).body).toEqual({
      erased: 0,
    });
  });

  it("the links are gone: a new conversion by one identifier no longer reaches the others' touches; counts stay", async () => {
    const { purchase } = await person("links");
    expect((await ws.api("POST", "/v1/erasure", { external_id: "ext-links" })).body.erased).toBe(3);
    const again = await ws.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: nowSeconds(), user_data: { external_id: "ext-links" } }],
    });
    const list = await ws.api("GET", "/v1/conversions");
    const byId = new Map(
      list.body.data.map((c: { id: string; attribution: { touches: unknown[] } }) => [
        c.id,
        c.attribution.touches,
      ]),
    );
    expect(byId.get(again.body.results[0].id)).toEqual([]);
    // The earlier purchase keeps its (aggregate) attribution.
    expect(byId.get(purchase)).toMatchObject([{ campaign: "camp-links", credit: 1 }]);
  });

  it.each([
    ["nothing named", {}],
    ["an email that is not one", { email: "nobody" }],
    ["a phone that is not one", { phone: "12" }],
    ["an external_id that is not a string", { external_id: 5 }],
  ])("422 for %s", async (_name, body) => {
    expectError(await ws.api("POST", "/v1/erasure", body), 422, "validation_failed");
  });

  it("401 without a key, 403 for the public key", async () => {
    expectError(await client(tally.url)("POST", "/v1/erasure", { email: "a@b.example" }), 401, "missing_key");
    expectError(
      await client(tally.url, ws.public_key)("POST", "/v1/erasure", { email: "a@b.example" }),
      403,
      "key_not_allowed",
    );
  });

  // The events stay (name, time, value, credit) but hold none of the person's identifiers;
  // erasure-bytes.test.ts checks the raw files, URLs and custom_data included.
  it("no stored event keeps the erased person's identifiers", async () => {
    await person("stored");
    expect((await ws.api("POST", "/v1/erasure", { anonymous_id: "anon-stored" })).body.erased).toBe(3);
    const hits = db
      .prepare("SELECT id FROM events WHERE payload LIKE ? OR payload LIKE ?")
      .all("%ext-stored%", "%anon-stored%");
    expect(hits).toEqual([]);
  });
});
