// The PostgreSQL scaffold every benchmark shares: which database (TALLY_BENCH_DATABASE_URL,
// else TALLY_TEST_DATABASE_URL, else the local test database), a private schema made for the
// run and dropped after it (kept with BENCH_KEEP_SCHEMA=1), and one printed line instead of a failure when the database does
// not answer (as the tests skip).
import { randomBytes } from "node:crypto";
import pg from "pg";

export const BENCH_DB_URL =
  process.env.TALLY_BENCH_DATABASE_URL ??
  process.env.TALLY_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

/** The URL with its password masked, for printing. */
export const redactedUrl = (url = BENCH_DB_URL) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

/** The database URL whose connections use `schema` (search_path in the startup options). */
export function schemaUrl(schema, base = BENCH_DB_URL) {
  const u = new URL(base);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}

/** A connected admin client, or null after printing "<label>: skipped (… unreachable …)". */
export async function adminClient(label = "PostgreSQL") {
  const admin = new pg.Client({ connectionString: BENCH_DB_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    return admin;
  } catch (err) {
    console.log(`\n${label}: skipped (${redactedUrl()} unreachable: ${err.message})`);
    return null;
  }
}

/**
 * Runs `fn(url, schema, admin)` in a fresh schema `<prefix>_<random>`, dropped afterwards
 * whatever happens; the admin client is connected for `fn`'s own SQL (its search_path is not
 * set). Skips with one line (and resolves to null) when the database does not answer.
 */
export async function withBenchSchema(prefix, fn, label) {
  const admin = await adminClient(label);
  if (!admin) return null;
  const schema = `${prefix}_${randomBytes(4).toString("hex")}`;
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    try {
      return await fn(schemaUrl(schema), schema, admin);
    } finally {
      // BENCH_KEEP_SCHEMA=1 keeps it for a look afterwards (EXPLAIN, pg_stat_statements).
      if (process.env.BENCH_KEEP_SCHEMA === "1") console.log(`   (schema ${schema} kept)`);
      else await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  } finally {
    await admin.end();
  }
}
