/**
 * The encryption key check of the PostgreSQL store (one row, `key_check`), and sealed values
 * already in the database to test a key on when the row is not there yet (a database from
 * before the check). security/key-check.ts decides; these only read and write.
 */
import type pg from "pg";

export async function getKeyCheck(pool: pg.Pool): Promise<string | null> {
  const r = await pool.query<{ sealed: string }>("SELECT sealed FROM key_check WHERE id = 1");
  return r.rows[0]?.sealed ?? null;
}

/** The first node's value wins: a concurrent start with another key reads it back and fails its check. */
export async function initKeyCheck(pool: pg.Pool, sealed: string, now: number): Promise<string> {
  await pool.query(
    "INSERT INTO key_check (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
    [sealed, now],
  );
  const stored = await getKeyCheck(pool);
  if (stored === null) throw new Error("the key check row vanished after it was written");
  return stored;
}

export async function sealedSamples(pool: pg.Pool, limit: number): Promise<string[]> {
  const r = await pool.query<{ s: string }>(
    `(SELECT config_enc AS s FROM destinations LIMIT $1)
     UNION ALL (SELECT ip_enc AS s FROM events WHERE ip_enc IS NOT NULL LIMIT $1)`,
    [limit],
  );
  return r.rows.map((row) => row.s).slice(0, limit);
}
