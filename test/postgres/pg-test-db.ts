/**
 * A private PostgreSQL schema per test file on the shared test database
 * (TALLY_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), selected through
 * the connection string's `options=-c search_path=…`, and dropped afterwards. When the
 * database is unreachable the PostgreSQL tests skip with one printed line — except on CI
 * (CI=true), where that is a failure.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_DATABASE_URL =
  process.env.TALLY_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function reachable(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Whether PostgreSQL answers; prints why not (once per file) or throws on CI. */
export async function postgresAvailable(what: string): Promise<boolean> {
  const why = await reachable(TEST_DATABASE_URL);
  if (why === null) return true;
  if (process.env.CI)
    throw new Error(
      `PostgreSQL at ${redact(TEST_DATABASE_URL)} is unreachable on CI (${why}): ${what} must run there`,
    );
  console.log(`skipping ${what}: PostgreSQL at ${redact(TEST_DATABASE_URL)} is unreachable (${why})`);
  return false;
}

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

/** `url` with `search_path` set to `schema` (and any extra query parameters). */
export function withSchema(url: string, schema: string, extra: Record<string, string> = {}): string {
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

export interface TestSchema {
  name: string;
  /** The test database URL pointed at this schema. */
  url: string;
  drop(): Promise<void>;
}

export async function createTestSchema(extra: Record<string, string> = {}): Promise<TestSchema> {
  const name = `tally_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withSchema(TEST_DATABASE_URL, name, extra),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
