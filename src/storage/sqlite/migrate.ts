/** Opening the SQLite file with the pragmas durability and erasure need, and its migrations. */
import Database from "better-sqlite3";
import { WAL_AUTOCHECKPOINT_PAGES } from "./checkpointer.js";
import { MIGRATIONS } from "./schema.js";

export function openDatabase(path: string, synchronous: "full" | "normal"): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  // Freed cells and pages are overwritten with zeros, not left readable in the file: an
  // erasure must leave none of the person's bytes (and the write connection does every delete).
  db.pragma("secure_delete = ON");
  // The write connection's pages between group commits: the indexes of a busy store are touched
  // at random places (hashed identities, dedup keys), and with SQLite's default 2 MB most of
  // them were read back from the OS on every group. 32 MB here.
  db.pragma("cache_size = -32768");
  // Checkpoint the log into the database every ~32 MB of log (checkpointer.ts says why). The
  // store's writer hands its checkpoints to a thread of their own (checkpointer.ts) once that
  // thread runs. Either way the log itself is fsynced at every COMMIT with synchronous=FULL.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  return db;
}

/** Applies the migrations not applied yet, each in its own transaction (table `schema_migrations`). */
export function migrate(db: Database.Database): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const done = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        m.version,
        Date.now(),
      );
    })();
  }
}
