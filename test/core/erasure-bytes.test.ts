/**
 * API.md: after the `200` of `POST /v1/erasure`, no byte of the store — the SQLite file, its
 * write-ahead log and its shared-memory index — holds the person's identifiers, their hashes,
 * click ids, IP or user agent, also where they sat inside stored URLs or custom_data; their
 * events keep name, time, value and credit. Read from the raw files of a running server, with
 * a control read before the erasure that finds every one of them.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";
import { plantCrowd, plantPerson, type PlantedPerson } from "./erasure-scenario.js";
import { readOutOfProcess } from "../helpers/store-files.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let ws: Ws;
let db: Database.Database;
let path: string;
let person: PlantedPerson;
let bystander: PlantedPerson;
/** Everything of the person's the store held before the erasure. */
let secrets: string[];

const files = () => [path, `${path}-wal`, `${path}-shm`].map(readOutOfProcess);
const holds = (bufs: Buffer[], s: string) => bufs.some((b) => b.includes(Buffer.from(s, "utf8")));

/** The store's own forms of the person: hashes, sealed IPs, cookies, touch click ids. */
function storedForms(p: PlantedPerson): string[] {
  const out: string[] = [];
  const events = db
    .prepare("SELECT payload, ip_enc FROM events WHERE instr(payload, ?) > 0 OR instr(payload, ?) > 0")
    .all(p.anon, p.ext) as { payload: string; ip_enc: string | null }[];
  for (const e of events) {
    const u = (JSON.parse(e.payload) as { u: Record<string, unknown> }).u;
    for (const v of Object.values(u)) if (typeof v === "string") out.push(v);
    if (e.ip_enc) out.push(e.ip_enc);
  }
  const touches = db
    .prepare(
      `SELECT click_id FROM touches WHERE click_id IS NOT NULL AND person =
         (SELECT person FROM identities WHERE workspace_id = ? AND ident = ?)`,
    )
    .all(ws.id, `anonymous_id:${p.anon}`) as { click_id: string }[];
  for (const t of touches) out.push(t.click_id);
  return out;
}

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Forgetful shop");
  path = join(tally.dataDir, "tally.db");
  db = new Database(path, { readonly: true, fileMustExist: true });
  // Traffic before and after, so the person's rows share pages that split and move.
  await plantCrowd(ws, 1500, "before");
  person = await plantPerson(tally.url, ws, "198.51.100.77", "+1 415 555 0134");
  bystander = await plantPerson(tally.url, ws, "203.0.113.9", "+1 415 555 0177");
  await plantCrowd(ws, 1500, "after");
  // What the two share (the beacons' loopback IP prefix) is not the person's alone.
  const shared = new Set([...bystander.secrets, ...storedForms(bystander)]);
  secrets = [...new Set([...person.secrets, ...storedForms(person)])].filter((s) => !shared.has(s));
}, 120_000);

afterAll(async () => {
  db?.close();
  await tally?.cleanup();
});

describe("erasure leaves no byte behind (SQLite)", () => {
  it("before: the files hold every one of the person's traces (so the check below can fail)", () => {
    // Hashed email (both forms), hashed phone (both forms), sealed IPs, fbc, touch click ids, …
    expect(secrets.length).toBeGreaterThanOrEqual(20);
    const before = files();
    expect(secrets.filter((s) => !holds(before, s))).toEqual([]);
    expect(holds(before, person.email)).toBe(false); // a plain email is never stored at all
  });

  it("after the 200: none of them in the database file, the WAL or the shm", async () => {
    const res = await ws.api("POST", "/v1/erasure", { anonymous_id: person.anon });
    expect(res.status).toBe(200);
    // anonymous_id, external_id, email, phone, the tally click, both gclids, fbclid
    expect(res.body.erased).toBe(8);
    const after = files();
    expect(secrets.filter((s) => holds(after, s))).toEqual([]);
    // The bystander, who shared the pages, is untouched.
    expect(bystander.secrets.filter((s) => !holds(after, s))).toEqual([]);
  });

  it("the person's events keep name, time, value and credit; URLs and custom_data lose click ids and utm_*", async () => {
    const conv = await ws.api("GET", "/v1/conversions");
    const purchase = conv.body.data.find((c: { id: string }) => c.id === person.eventIds.purchase);
    expect(purchase).toMatchObject({ event_name: "Purchase", value: 99.5, currency: "USD" });
    expect(purchase.attribution.touches.length).toBeGreaterThan(0);

    const landing = db
      .prepare("SELECT event_name, payload, ip_enc FROM events WHERE id = ?")
      .get(person.eventIds.landing) as {
      event_name: string;
      payload: string;
      ip_enc: string | null;
    };
    expect(landing.event_name).toBe("PageView");
    expect(landing.ip_enc).toBeNull();
    const p = JSON.parse(landing.payload) as {
      u: object;
      c: Record<string, unknown>;
      s: string;
      i: unknown[];
    };
    expect(p.u).toEqual({});
    expect(p.i).toEqual([]);
    expect(p.s).toBe("https://shop.example/landing?page=2");
    expect(Object.keys(p.c).sort()).toEqual(["contents", "landing_page"]);
    expect(p.c.landing_page).toBe("https://shop.example/landing?page=2");
    expect(landing.payload).not.toContain("utm_");

    // The touches stay, counted and credited, with platform, campaign and time — no ids, no one.
    const touches = db
      .prepare(
        "SELECT platform, campaign, click_id, touch_id, person FROM touches WHERE campaign IN (?, ?, ?)",
      )
      .all(...person.campaigns) as Record<string, string | null>[];
    expect(touches.map((t) => t.platform).sort()).toEqual(["google", "meta"]);
    expect(touches.every((t) => t.click_id === null && t.touch_id === null && t.person === null)).toBe(true);
  });

  it("GET /v1/erasures logs it: when and how many identifiers, never which", async () => {
    const res = await ws.api("GET", "/v1/erasures");
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const [entry] = res.body.data;
    expect(Object.keys(entry).sort()).toEqual(["erased_at", "id", "identifiers"]);
    expect(entry.identifiers).toBe(8);
    expect(Date.now() - Date.parse(entry.erased_at)).toBeLessThan(10 * 60_000);
    expect(JSON.stringify(res.body)).not.toContain(person.anon);
  });
});

describe("GET /v1/erasures", () => {
  it("newest first, with a limit", async () => {
    await ws.api("POST", "/v1/erasure", { external_id: "nobody-known" });
    const res = await ws.api("GET", "/v1/erasures?limit=1");
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].identifiers).toBe(0);
    const all = await ws.api("GET", "/v1/erasures");
    expect(all.body.data.map((e: { identifiers: number }) => e.identifiers)).toEqual([0, 8]);
  });

  it.each(["0", "1001", "x"])("400 for limit=%s", async (limit) => {
    expectError(await ws.api("GET", `/v1/erasures?limit=${limit}`), 400, "invalid_query");
  });

  it("401 without a key, 403 for the public key; another workspace sees its own log only", async () => {
    expectError(await client(tally.url)("GET", "/v1/erasures"), 401, "missing_key");
    expectError(await client(tally.url, ws.public_key)("GET", "/v1/erasures"), 403, "key_not_allowed");
    const other = await createWorkspace(tally.url, ADMIN_TOKEN, "Other shop");
    expect((await other.api("GET", "/v1/erasures")).body).toEqual({ data: [] });
  });
});

describe("a reader that keeps an old snapshot of the file", () => {
  it("503 not_ready with Retry-After instead of a 200 it cannot keep; the same request then finishes", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Held shop");
    const p = await plantPerson(tally.url, shop, "192.0.2.55", "+1 415 555 0199");
    const reader = new Database(path, { readonly: true, fileMustExist: true });
    try {
      reader.exec("BEGIN");
      reader.prepare("SELECT count(*) FROM events").get(); // the snapshot is taken here
      const res = await shop.api("POST", "/v1/erasure", { anonymous_id: p.anon });
      expectError(res, 503, "not_ready");
      expect(res.headers.get("retry-after")).toBe("5");
      reader.exec("COMMIT");
    } finally {
      reader.close();
    }
    const again = await shop.api("POST", "/v1/erasure", { anonymous_id: p.anon });
    expect(again.status).toBe(200);
    expect(again.body.erased).toBe(0); // the rows went with the first request
    expect(p.secrets.filter((s) => holds(files(), s))).toEqual([]);
    expect(
      (await shop.api("GET", "/v1/erasures")).body.data.map((e: { identifiers: number }) => e.identifiers),
    ).toEqual([0, 8]);
  });
});
