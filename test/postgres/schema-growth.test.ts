/**
 * PostgreSQL growth (issue 18): the keys every table carries for Citus (read from the catalog),
 * the monthly partitions of `events` (made ahead, a month the default partition caught given its
 * own), retention (whole months dropped; credits and rollups kept), and the in-place migration
 * of a database left by the previous version.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/storage/postgres/migrate.js";
import { maintainEventPartitions, retentionCutoff } from "../../src/storage/postgres/partitions.js";
import { GLOBAL_TABLES } from "../../src/storage/postgres/schema.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";

const available = await postgresAvailable("the PostgreSQL schema growth tests");
const MONTH = 31 * 86_400_000;

interface KeyRow {
  table: string;
  index: string;
  columns: string[];
  partitionKey: string[];
}

/** Every primary key and unique index of the schema's tables (partitions left out), with its columns. */
async function keysOf(pool: pg.Pool): Promise<KeyRow[]> {
  const r = await pool.query<KeyRow>(
    `SELECT t.relname AS "table", i.relname AS "index",
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey) AS k(n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n) AS columns,
       ARRAY(SELECT a.attname::text FROM pg_partitioned_table p, unnest(p.partattrs) AS k(n)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n WHERE p.partrelid = t.oid) AS "partitionKey"
     FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
     WHERE t.relnamespace = current_schema()::regnamespace AND NOT t.relispartition AND t.relkind IN ('r', 'p')
       AND (x.indisprimary OR x.indisunique)
     ORDER BY 1, 2`,
  );
  return r.rows;
}

/** The keys that would stop the table being distributed by workspace_id (or partitioned). */
function offending(keys: KeyRow[]): string[] {
  return keys
    .filter((k) => !(k.table in GLOBAL_TABLES))
    .filter((k) => !k.columns.includes("workspace_id") || k.partitionKey.some((c) => !k.columns.includes(c)))
    .map((k) => `${k.table}.${k.index} (${k.columns.join(", ")})`);
}

async function insertEvent(pool: pg.Pool, id: string, receivedAt: number, ws = "ws_a"): Promise<void> {
  await pool.query(
    `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, payload)
     VALUES ($1, $2, 'Purchase', true, $3, $3, '{}')`,
    [id, ws, receivedAt],
  );
}

const partitionOf = async (pool: pg.Pool, id: string): Promise<string | null> =>
  (await pool.query<{ p: string }>("SELECT tableoid::regclass::text AS p FROM events WHERE id = $1", [id]))
    .rows[0]?.p ?? null;

const partitions = async (pool: pg.Pool): Promise<string[]> =>
  (
    await pool.query<{ n: string }>(
      "SELECT c.relname AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1",
    )
  ).rows.map((r) => r.n);

const monthName = (t: number): string => `events_${new Date(t).toISOString().slice(0, 7).replace("-", "")}`;

describe.skipIf(!available)("PostgreSQL schema growth", () => {
  let schema: TestSchema;
  let pool: pg.Pool;
  beforeAll(async () => {
    schema = await createTestSchema();
    pool = new pg.Pool({ connectionString: schema.url, max: 2 });
    await migrate(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await schema?.drop();
  });

  it("has workspace_id (and the partition key) in every primary key and unique index but the global tables'", async () => {
    const keys = await keysOf(pool);
    expect(keys.map((k) => k.table)).toEqual(
      expect.arrayContaining(["events", "credits", "touches", "deliveries"]),
    );
    expect(offending(keys)).toEqual([]);
    expect(keys.find((k) => k.table === "events" && k.index === "events_pkey")?.columns).toEqual([
      "id",
      "workspace_id",
      "received_at",
    ]);
    // The exceptions are tables that exist, each with a reason.
    const tables = new Set(keys.map((k) => k.table));
    for (const [t, why] of Object.entries(GLOBAL_TABLES)) {
      expect(tables.has(t), t).toBe(true);
      expect(why.length).toBeGreaterThan(10);
    }
  });

  it("the key check catches a table keyed without workspace_id", async () => {
    await pool.query(
      "CREATE TABLE growth_probe (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, k TEXT UNIQUE)",
    );
    try {
      expect(offending(await keysOf(pool))).toEqual([
        "growth_probe.growth_probe_k_key (k)",
        "growth_probe.growth_probe_pkey (id)",
      ]);
    } finally {
      await pool.query("DROP TABLE growth_probe");
    }
  });

  it("has this month's partition and two ahead, and gives a month the default partition caught its own", async () => {
    const now = Date.now();
    const names = await partitions(pool);
    for (const k of [0, 1, 2]) {
      const d = new Date(now);
      expect(names).toContain(monthName(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1)));
    }
    expect(names).toContain("events_default");
    const far = Date.UTC(2031, 4, 17, 12); // May 2031: no partition yet
    await insertEvent(pool, "evt_far", far);
    expect(await partitionOf(pool, "evt_far")).toBe("events_default");
    const upkeep = await maintainEventPartitions(pool, now, 0);
    expect(upkeep.created).toEqual(["events_203105"]);
    expect(upkeep.dropped).toEqual([]);
    expect(await partitionOf(pool, "evt_far")).toBe("events_203105");
    expect((await pool.query("SELECT count(*)::int AS n FROM events_default")).rows[0].n).toBe(0);
    // Again: nothing to do.
    expect(await maintainEventPartitions(pool, now, 0)).toEqual({ created: [], dropped: [] });
  });

  it("drops whole months past the retention, keeping credits and rollups", async () => {
    const now = Date.UTC(2031, 6, 10); // July 2031; retention 2: May, June and July stay
    const at = (y: number, m: number) => Date.UTC(y, m, 15);
    const times = {
      mar: at(2031, 2),
      apr: at(2031, 3),
      may: at(2031, 4),
      jun: at(2031, 5),
      jul: at(2031, 6),
    };
    for (const t of Object.values(times)) await pool.query("SELECT tally_event_partition($1)", [t]);
    for (const [name, t] of Object.entries(times)) {
      await insertEvent(pool, `evt_r_${name}`, t, "ws_r");
      await pool.query(
        `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, touch_time, credit)
         VALUES ($1, 'ws_r', 'last_click', $2, 0, 'google', $2, 1)`,
        [`evt_r_${name}`, t],
      );
      await pool.query("INSERT INTO rollups_hour (workspace_id, start, received) VALUES ('ws_r', $1, 1)", [
        t,
      ]);
    }
    // A row of an old month the default partition holds goes too.
    await pool.query("ALTER TABLE events DETACH PARTITION events_203103");
    await pool.query("DROP TABLE events_203103");
    await insertEvent(pool, "evt_r_mar_default", times.mar, "ws_r");
    expect(await partitionOf(pool, "evt_r_mar_default")).toBe("events_default");

    expect(retentionCutoff(now, 2)).toBe(Date.UTC(2031, 4, 1));
    const upkeep = await maintainEventPartitions(pool, now, 2);
    // April 2031 goes, with any month before it (this test's clock is years ahead of the others').
    expect(upkeep.dropped).toContain("events_203104");
    expect(upkeep.dropped.filter((n) => n >= "events_203105")).toEqual([]);
    const left = (
      await pool.query<{ id: string }>(
        "SELECT id FROM events WHERE workspace_id = 'ws_r' ORDER BY received_at",
      )
    ).rows.map((r) => r.id);
    expect(left).toEqual(["evt_r_may", "evt_r_jun", "evt_r_jul"]);
    expect(await partitions(pool)).toEqual(
      expect.arrayContaining(["events_203105", "events_203106", "events_203107"]),
    );
    expect(await partitions(pool)).not.toContain("events_203104");
    // What stays: every credit and every rollup row.
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM credits WHERE workspace_id = 'ws_r'")).rows[0].n,
    ).toBe(5);
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM rollups_hour WHERE workspace_id = 'ws_r'")).rows[0].n,
    ).toBe(5);
  });
});

describe.skipIf(!available)("PostgreSQL migration of a database left by the previous version", () => {
  let schema: TestSchema;
  let pool: pg.Pool;
  beforeAll(async () => {
    schema = await createTestSchema();
    pool = new pg.Pool({ connectionString: schema.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await schema?.drop();
  });

  it("moves events into monthly partitions in place, with their indexes, and rekeys the tables", async () => {
    await migrate(pool, 16);
    const indexesBefore = (
      await pool.query<{ n: string }>(
        "SELECT indexrelid::regclass::text AS n FROM pg_index WHERE indrelid = 'events'::regclass AND NOT indisprimary ORDER BY 1",
      )
    ).rows.map((r) => r.n);
    expect(indexesBefore.length).toBeGreaterThan(3);
    const now = Date.now();
    const old = now - 14 * MONTH;
    const last = now - MONTH;
    await insertEvent(pool, "evt_old", old);
    await insertEvent(pool, "evt_last", last, "ws_b");
    await insertEvent(pool, "evt_now", now);
    await pool.query(
      `UPDATE events SET value = 12.5, currency = 'EUR', order_id = 'o1', person = 'p1' WHERE id = 'evt_last'`,
    );
    await pool.query(
      `INSERT INTO credits (event_ref, workspace_id, model, event_time, ord, platform, touch_time, credit)
       VALUES ('evt_last', 'ws_b', 'linear', $1, 0, 'meta', $1, 0.5)`,
      [last],
    );
    await pool.query(
      "INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, next_attempt_at, created_at) VALUES ('dlv_1', 'ws_b', 'dst_1', 'evt_last', 'pending', 0, 0)",
    );

    await migrate(pool);

    expect(
      (await pool.query("SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")).rows[0].relkind,
    ).toBe("p");
    expect(await partitionOf(pool, "evt_old")).toBe(monthName(old));
    expect(await partitionOf(pool, "evt_last")).toBe(monthName(last));
    expect(await partitionOf(pool, "evt_now")).toBe(monthName(now));
    const row = (await pool.query("SELECT * FROM events WHERE id = 'evt_last'")).rows[0];
    expect(row).toMatchObject({
      workspace_id: "ws_b",
      value: 12.5,
      currency: "EUR",
      order_id: "o1",
      person: "p1",
    });
    expect(Number(row.received_at)).toBe(last);
    // Every secondary index is back under its own name, on the partitioned table.
    const indexesAfter = (
      await pool.query<{ n: string }>(
        "SELECT indexrelid::regclass::text AS n FROM pg_index WHERE indrelid = 'events'::regclass AND NOT indisprimary ORDER BY 1",
      )
    ).rows.map((r) => r.n);
    expect(indexesAfter).toEqual(indexesBefore);
    expect(offending(await keysOf(pool))).toEqual([]);
    // The rows of the other tables survive the new keys, and the keys still hold.
    expect((await pool.query("SELECT count(*)::int AS n FROM credits")).rows[0].n).toBe(1);
    expect((await pool.query("SELECT to_regclass('events_unpartitioned') AS r")).rows[0].r).toBeNull();
    await expect(insertEvent(pool, "evt_last", last, "ws_b")).rejects.toThrow(/duplicate key/);
    await expect(
      pool.query(
        "INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, next_attempt_at, created_at) VALUES ('dlv_1', 'ws_b', 'dst_1', 'evt_last', 'pending', 0, 0)",
      ),
    ).rejects.toThrow(/duplicate key/);
  });
});
