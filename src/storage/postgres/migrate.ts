/**
 * Applies the migrations of schema.ts that the database has not seen, each in its own
 * transaction, while holding a session advisory lock: nodes starting together queue on the
 * lock, and the later ones find the work done. `upTo` stops after that version (tests build a
 * database as an earlier release left it).
 */
import type pg from "pg";
import { MIGRATIONS } from "./schema.js";

/** Any fixed 64-bit number; only Tally's migrations take this lock. */
const MIGRATION_LOCK = 7_420_553_801_317n;

export async function migrate(pool: pg.Pool, upTo = Infinity): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // A long migration must not trip the statement timeout meant for requests.
    await client.query("SET statement_timeout = 0");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
    try {
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
      );
      const done = new Set(
        (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map(
          (r) => r.version,
        ),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version) || m.version > upTo) continue;
        await client.query("BEGIN");
        try {
          await client.query(m.sql);
          await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
            m.version,
            Date.now(),
          ]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]);
      await client.query("RESET statement_timeout");
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}
