/** Opening the SQLite file with the pragmas durability and erasure need, and its migrations. */
import Database from "better-sqlite3";
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
