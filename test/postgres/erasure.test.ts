/**
 * Erasure on PostgreSQL, over real HTTP: after the `200` no row of any table holds the
 * person's identifiers, hashes, click ids, sealed or truncated IP or user agent (every text
 * column of every table is searched, with a control search before that finds them all), and
 * the tables it rewrote were vacuumed. Bytes in PostgreSQL's own files are not promised: see
 * docs/privacy.md.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, startInProcess } from "../helpers/server.js";
import { plantCrowd, plantPerson, type PlantedPerson } from "../core/erasure-scenario.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";

const pgUp = await postgresAvailable("the PostgreSQL erasure test");

describe.skipIf(!pgUp)("erasure leaves no row behind (PostgreSQL)", () => {
  let schema: TestSchema;
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let db: pg.Client;
  let person: PlantedPerson;
  let secrets: string[];

  /** The secrets some row of some table holds, in any text, JSON or array column. */
  async function heldInRows(candidates: string[]): Promise<string[]> {
    const cols = await db.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
       WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'
         AND c.data_type IN ('text', 'jsonb', 'json', 'character varying', 'ARRAY')`,
      [schema.name],
    );
    const byTable = new Map<string, string[]>();
    for (const c of cols.rows)
      byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
    const held = new Set<string>();
    for (const [table, columns] of byTable) {
      const any = columns.map((c) => `strpos("${c}"::text, x) > 0`).join(" OR ");
      const r = await db.query<{ x: string }>(
        `SELECT x FROM unnest($1::text[]) AS x WHERE EXISTS (SELECT 1 FROM "${table}" WHERE ${any})`,
        [candidates],
      );
      for (const row of r.rows) held.add(row.x);
    }
    return candidates.filter((s) => held.has(s));
  }

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "4" });
    tally = await startInProcess({ TALLY_DATABASE_URL: schema.url });
    ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Forgetful shop");
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    await plantCrowd(ws, 500, "before");
    person = await plantPerson(tally.url, ws, "198.51.100.77", "+1 415 555 0134");
    const bystander = await plantPerson(tally.url, ws, "203.0.113.9", "+1 415 555 0177");
    const formsOf = async (p: PlantedPerson) => {
      const r = await db.query<{ payload: string; ip_enc: string | null }>(
        "SELECT payload, ip_enc FROM events WHERE strpos(payload, $1) > 0 OR strpos(payload, $2) > 0",
        [p.anon, p.ext],
      );
      const out: string[] = [];
      for (const e of r.rows) {
        const u = (JSON.parse(e.payload) as { u: Record<string, unknown> }).u;
        for (const v of Object.values(u)) if (typeof v === "string") out.push(v);
        if (e.ip_enc) out.push(e.ip_enc);
      }
      return out;
    };
    const shared = new Set([...bystander.secrets, ...(await formsOf(bystander))]);
    secrets = [...new Set([...person.secrets, ...(await formsOf(person))])].filter((s) => !shared.has(s));
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await tally?.cleanup();
    await schema?.drop();
  });

  it("before: the rows hold every one of the person's traces", async () => {
    // Hashed email (both forms), hashed phone (both forms), sealed IPs, fbc, click ids, …
    expect(secrets.length).toBeGreaterThanOrEqual(15);
    expect(await heldInRows(secrets)).toEqual(secrets);
  });

  it("after the 200: no row holds any of them; the rewritten tables were vacuumed; the erasure is logged", async () => {
    const res = await ws.api("POST", "/v1/erasure", { email: person.email });
    expect(res.status).toBe(200);
    expect(res.body.erased).toBe(8);
    expect(await heldInRows(secrets)).toEqual([]);
    const vacuumed = await db.query<{ relname: string }>(
      `SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND last_vacuum IS NOT NULL`,
      [schema.name],
    );
    // events is partitioned by month: its partitions (events_YYYYMM, events_default) are vacuumed.
    const names = vacuumed.rows.map((r) => r.relname);
    expect(names).toEqual(expect.arrayContaining(["touches", "identities", "deliveries", "events_default"]));
    const d = new Date();
    expect(names).toContain(`events_${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
    const log = await ws.api("GET", "/v1/erasures");
    expect(log.body.data).toEqual([
      { id: expect.any(String), erased_at: expect.any(String), identifiers: 8 },
    ]);
  });

  it("the person's purchase keeps its value and credit", async () => {
    const conv = await ws.api("GET", "/v1/conversions");
    const purchase = conv.body.data.find((c: { id: string }) => c.id === person.eventIds.purchase);
    expect(purchase).toMatchObject({ event_name: "Purchase", value: 99.5 });
    expect(purchase.attribution.touches.length).toBeGreaterThan(0);
  });
});
