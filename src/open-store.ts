/**
 * Opens the store the configuration names — PostgreSQL when a URL is set, else SQLite — with
 * the commit core wired in: a backend implements the commit seam (commit/tx.ts) and is handed
 * the core, never imports it. The PostgreSQL backend is imported only when chosen, so the
 * embedded setup never loads pg.
 */
import { join } from "node:path";
import { commitCore } from "./commit/index.js";
import type { Config } from "./config/config.js";
import { DAY_MS } from "./domain/time.js";
import { SqliteStore } from "./storage/sqlite/sqlite-store.js";
import type { Store } from "./storage/storage.js";

/** Largest PostgreSQL group commit, in events, whatever TALLY_COMMIT_MAX_EVENTS says. */
export const PG_MAX_GROUP_EVENTS = 1000;

/** The SQLite writer thread's entry (its sources under vitest, dist/ when built). */
export const SQLITE_WRITER_ENTRY = new URL(
  `./sqlite-writer-main.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`,
  import.meta.url,
);

export { commitCore };

export async function openStore(config: Config): Promise<Store> {
  let store: Store;
  if (config.databaseUrl) {
    const { PostgresStore } = await import("./storage/postgres/postgres-store.js");
    store = new PostgresStore({
      url: config.databaseUrl,
      dedupWindowMs: config.dedupWindowDays * DAY_MS,
      // Each event takes up to two advisory locks until COMMIT: keep a group well inside the
      // server's lock table (max_locks_per_transaction × max_connections).
      maxGroupWeight: Math.min(config.commitMaxBatch, PG_MAX_GROUP_EVENTS),
      core: commitCore,
      retentionMonths: config.retentionMonths,
    });
  } else {
    store = new SqliteStore({
      path: join(config.dataDir, "tally.db"),
      synchronous: config.sqliteSynchronous,
      dedupWindowMs: config.dedupWindowDays * DAY_MS,
      maxGroupWeight: config.commitMaxBatch,
      writer: SQLITE_WRITER_ENTRY,
    });
  }
  await store.init();
  return store;
}
