/** Chooses the backend from the configuration: PostgreSQL when a URL is set, else SQLite. */
import { join } from "node:path";
import type { Config } from "../config/config.js";
import { DAY_MS } from "../domain/time.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./storage.js";

export async function openStore(config: Config): Promise<Store> {
  let store: Store;
  if (config.databaseUrl) {
    throw new Error("the PostgreSQL backend is not available in this build");
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
