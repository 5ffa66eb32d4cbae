/**
 * The connection pool: timeouts that make an unreachable database fail fast (so requests get
 * a 503 within ~2 s instead of hanging), BIGINT read as a JS number (every BIGINT Tally stores
 * is a millisecond time or a count, far below 2^53), and an error listener so a connection
 * that dies while idle never takes the process down; the pool opens new ones when the
 * database is back.
 */
import pg from "pg";
import type { ClientConfig, CustomTypesConfig, PoolConfig } from "pg";

export interface ConnectionOptions {
  /** `postgres://…`; `?options=-c search_path=…` selects a schema; `?pool_max=N` sizes the pool. */
  url: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

const INT8 = 20;
const parseInt8 = (v: string): number => Number(v);

type Parser = (value: string) => unknown;
const defaultParser = pg.types.getTypeParser as (oid: number, format?: "text" | "binary") => Parser;

export const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary"): Parser =>
    oid === INT8 && format !== "binary"
      ? parseInt8
      : defaultParser(oid, format)) as CustomTypesConfig["getTypeParser"],
};

/** Splits Tally's own `pool_max` parameter off the URL; the rest goes to pg as is. */
export function parseDatabaseUrl(url: string): { connectionString: string; poolMax: number | null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("TALLY_DATABASE_URL is not a valid postgres:// URL");
  }
  const raw = u.searchParams.get("pool_max");
  u.searchParams.delete("pool_max");
  const poolMax = raw === null ? null : Number(raw);
  if (poolMax !== null && (!Number.isInteger(poolMax) || poolMax < 2 || poolMax > 1000)) {
    throw new Error("pool_max in TALLY_DATABASE_URL must be a whole number from 2 to 1000");
  }
  return { connectionString: u.toString(), poolMax };
}

/** Settings shared by the pool and the bridge's LISTEN client. */
export function clientConfig(o: ConnectionOptions): ClientConfig & { connectionString: string } {
  const { connectionString } = parseDatabaseUrl(o.url);
  const statementTimeout = o.statementTimeoutMs ?? 15_000;
  return {
    connectionString,
    types: TYPES,
    application_name: o.applicationName ?? "tally",
    connectionTimeoutMillis: o.connectTimeoutMs ?? 2000,
    // Server side: no statement (lock waits included) runs forever.
    statement_timeout: statementTimeout,
    // Client side: a connection whose server vanished without a FIN/RST still fails.
    query_timeout: statementTimeout + 5000,
    // A node that died mid-transaction must not hold its locks for long.
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export function createPool(o: ConnectionOptions, onIdleError: (err: Error) => void): pg.Pool {
  const { poolMax } = parseDatabaseUrl(o.url);
  const config: PoolConfig = {
    ...clientConfig(o),
    max: poolMax ?? o.poolMax ?? 10,
    idleTimeoutMillis: 30_000,
    // Pipeline mode: statements sent without waiting go out back to back, each with its own
    // Sync (a failure aborts the transaction as usual), so the group commit sends a whole
    // transaction's writes and its COMMIT in one round trip. A lone query behaves as before.
    pipeline: true,
  };
  const pool = new pg.Pool(config);
  pool.on("error", onIdleError);
  // The pool listens for errors only on idle clients. A checked-out client whose socket dies
  // emits "error" too, besides failing its query; without a listener that would crash the
  // process. The failed query already reports it, so the event itself is ignored.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
