/** Both stores for tests that use a Store directly: a real SQLite file and, when it answers, a PostgreSQL schema. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAY_MS } from "../../src/domain/time.js";
import { standardActions } from "../../src/domain/workspace.js";
import { commitCore, SQLITE_WRITER_ENTRY } from "../../src/open-store.js";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import { SqliteStore, type SqliteStoreOptions } from "../../src/storage/sqlite/sqlite-store.js";
import type { DestinationRecord, Store } from "../../src/storage/storage.js";
import { newId } from "../../src/domain/ids.js";
import { createTestSchema } from "../postgres/pg-test-db.js";

export interface Backend {
  store: Store;
  /** The SQLite file (SQLite only), for a test that opens it beside the store. */
  path?: string;
  cleanup(): Promise<void>;
}

/** `options` change the store's settings (e.g. `purgeSliceRows`). */
export async function sqliteBackend(options: Partial<SqliteStoreOptions> = {}): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "tally-store-"));
  const path = join(dir, "tally.db");
  const store = new SqliteStore({
    path,
    synchronous: "normal",
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 5000,
    writer: SQLITE_WRITER_ENTRY,
    ...options,
  });
  await store.init();
  return {
    store,
    path,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function pgBackend(): Promise<Backend> {
  const schema = await createTestSchema({ pool_max: "4" });
  const store = new PostgresStore({
    url: schema.url,
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 1000,
    core: commitCore,
  });
  await store.init();
  return {
    store,
    async cleanup() {
      await store.close();
      await schema.drop();
    },
  };
}

export async function workspace(store: Store, name = "Shop") {
  const tag = Math.random().toString(36).slice(2, 12);
  return store.createWorkspace(
    { name, currency: "USD", timezone: "UTC" },
    { publicKey: `pk_${tag}${"x".repeat(16)}`, secretKeyHash: `${tag}${"0".repeat(54)}` },
    standardActions(),
  );
}

/** The record of a webhook destination of `workspaceId` taking every event; `o` changes any field. */
export function webhookRecord(workspaceId: string, o: Partial<DestinationRecord> = {}): DestinationRecord {
  return {
    id: newId("dst"),
    workspaceId,
    type: "webhook",
    name: "hook",
    events: null,
    configEnc: "enc",
    createdAt: Date.now(),
    ...o,
  };
}

/** That destination, created in `store`. */
export function webhookDestination(store: Store, workspaceId: string, o: Partial<DestinationRecord> = {}) {
  return store.createDestination(webhookRecord(workspaceId, o));
}
