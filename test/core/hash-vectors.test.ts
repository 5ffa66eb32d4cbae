/**
 * The platforms' hash vectors (test/fixtures/hash-vectors.json) through the real pipeline: an email
 * or phone sent to POST /v1/events is stored only as the hashes each platform expects. The
 * store is read read-only beside the running server, so this goes through nothing but HTTP in
 * and the file on disk out.
 */
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

interface Vector {
  platform: string;
  field: string;
  raw: string;
  country_default?: string;
  normalized: string;
  sha256: string;
}

const VECTORS = JSON.parse(readFileSync(new URL("../fixtures/hash-vectors.json", import.meta.url), "utf8")) as Vector[];

/** Where each platform's form of an identifier is kept in an event's stored user data. */
const STORED_AS: Record<string, "em" | "em_google" | "ph" | "ph_digits"> = {
  "meta/em": "em",
  "tiktok/email": "em",
  "linkedin/SHA256_EMAIL": "em",
  "microsoft_uet/em": "em",
  "google/hashed_email": "em_google",
  "meta/ph": "ph_digits",
  "microsoft_uet/ph": "ph_digits",
  "google/hashed_phone_number": "ph",
  "tiktok/phone": "ph",
};

const cases = VECTORS.filter((v) => STORED_AS[`${v.platform}/${v.field}`]).map((v) => ({
  ...v,
  kind: STORED_AS[`${v.platform}/${v.field}`]!,
  input: /mail/i.test(v.field) || v.field === "em" ? ("email" as const) : ("phone" as const),
}));

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let db: Database.Database;
const byCountry = new Map<string, Ws>();

beforeAll(async () => {
  tally = await startInProcess();
  for (const country of new Set(cases.map((c) => c.country_default ?? ""))) {
    const ws = await createWorkspace(tally.url, ADMIN_TOKEN, `Vectors ${country || "none"}`);
    if (country)
      expect((await ws.api("PATCH", "/v1/workspace", { default_country: country })).status).toBe(200);
    byCountry.set(country, ws);
  }
  db = new Database(join(tally.dataDir, "tally.db"), { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db?.close();
  await tally?.cleanup();
});

function storedUser(eventId: string): Record<string, string> {
  const row = db.prepare("SELECT payload FROM events WHERE id = ?").get(eventId) as
    { payload: string } | undefined;
  expect(row).toBeDefined();
  return (JSON.parse(row!.payload) as { u: Record<string, string> }).u;
}

async function send(ws: Ws, user: Record<string, string>): Promise<string> {
  const res = await ws.api("POST", "/v1/events", {
    data: [{ event_name: "Lead", event_time: nowSeconds(), user_data: user }],
  });
  expect(res.body.results[0].status).toBe("accepted");
  return res.body.results[0].id as string;
}

describe("hash vectors through POST /v1/events", () => {
  it("covers every email and phone vector of the file", () => {
    expect(cases.length).toBe(VECTORS.filter((v) => /mail|^em$|ph|phone/i.test(v.field)).length);
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)(
    "$platform $field of $raw ($country_default) is stored as $kind = $normalized",
    async ({ raw, country_default, kind, input, sha256 }) => {
      const ws = byCountry.get(country_default ?? "")!;
      const id = await send(ws, { [input]: raw });
      const user = storedUser(id);
      expect(user[kind]).toBe(sha256);
      // The raw value itself is nowhere in what was stored.
      expect(JSON.stringify(user)).not.toContain(raw.trim());
    },
  );

  it("the identity graph keys on the same email hash: a person is found by the vector's raw email", async () => {
    const ws = byCountry.get("")!;
    const v = cases.find((c) => c.platform === "meta" && c.field === "em")!;
    await send(ws, { email: v.raw, anonymous_id: "vector-person" });
    const ident = db.prepare("SELECT ident FROM identities WHERE ident = ?").get(`email:${v.sha256}`) as
      { ident: string } | undefined;
    expect(ident?.ident).toBe(`email:${v.sha256}`);
    const erased = await ws.api("POST", "/v1/erasure", { email: v.raw.toUpperCase() });
    expect(erased.body.erased).toBeGreaterThanOrEqual(2); // the email and the anonymous_id linked to it
  });

  it("an already hashed value (64 hex characters, any case) is taken as is", async () => {
    const ws = byCountry.get("")!;
    const sha = cases.find((c) => c.kind === "em")!.sha256;
    const user = storedUser(await send(ws, { email: sha.toUpperCase(), phone: sha }));
    expect(user.em).toBe(sha);
    expect(user.ph).toBe(sha);
  });
});
