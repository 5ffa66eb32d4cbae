/**
 * Chooses the backend from the configuration: PostgreSQL when a URL is set, else SQLite.
 * The PostgreSQL backend is imported only when chosen, so the embedded setup never loads pg.
 */
import { join } from "node:path";
import type { Config } from "../config/config.js";
import { DAY_MS } from "../domain/time.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./storage.js";

/** Largest PostgreSQL group commit, in events, whatever TALLY_COMMIT_MAX_EVENTS says. */
export const PG_MAX_GROUP_EVENTS = 1000;

export async function openStore(config: Config): Promise<Store> {
  let store: Store;
  if (config.databaseUrl) {
    const { PostgresStore } = await import("./postgres/postgres-store.js");
    store = new PostgresStore({
      url: config.databaseUrl,
      dedupWindowMs: config.dedupWindowDays * DAY_MS,
      // Each event takes up to two advisory locks until COMMIT: keep a group well inside the
      // server's lock table (max_locks_per_transaction × max_connections).
      maxGroupWeight: Math.min(config.commitMaxBatch, PG_MAX_GROUP_EVENTS),
    });
  } else {
    store = new SqliteStore({
      path: join(config.dataDir, "tally.db"),
      synchronous: config.sqliteSynchronous,
      dedupWindowMs: config.dedupWindowDays * DAY_MS,
      maxGroupWeight: config.commitMaxBatch,
    });
  }
  await store.init();
  return store;
}
