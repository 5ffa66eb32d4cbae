/**
 * After an erasure commits, the embedded store's files must hold none of the person's bytes
 * before the erasure is acknowledged. `secure_delete` zeroes freed cells and pages as they are
 * freed, but three places can still hold old bytes:
 *
 * - the write-ahead log: earlier versions of every page written since the last checkpoint.
 *   `wal_checkpoint(TRUNCATE)` copies the newest pages into the database and empties the log
 *   (the `-shm` index holds page numbers, never content);
 * - the unused gap of a b-tree page that SQLite rebuilt while balancing: a copy of a cell that
 *   moved to a sibling can stay there (rare with secure_delete, common in files written
 *   without it, i.e. by an older Tally);
 * - anything a bug left behind.
 *
 * So the files are searched for the erasure's byte patterns. A pattern still held by a live
 * row is legitimate (another workspace's data, an order number that happens to equal a short
 * id); any other hit is a dead copy, and `VACUUM` rewrites the file without it. Only when the
 * search then comes back clean is the erasure done.
 */
import { spawnSync } from "node:child_process";
import type * as NodeFs from "node:fs";
import type Database from "better-sqlite3";
import { ErasureIncompleteError } from "../storage.js";

/**
 * Empties the write-ahead log. Each try waits up to `waitMs` (the busy handler) for readers
 * that hold an older snapshot: Tally's own reads last one query, so a reader still there
 * after that is holding on, and the caller hears so instead of waiting on.
 */
export function checkpointTruncate(db: Database.Database, tries = 3, waitMs = 1000): void {
  const before = db.pragma("busy_timeout", { simple: true }) as number;
  db.pragma(`busy_timeout = ${waitMs}`);
  try {
    for (let i = 0; i < tries; i++) {
      const [r] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
      if (r?.busy === 0) return;
    }
  } finally {
    db.pragma(`busy_timeout = ${before}`);
  }
  throw new ErasureIncompleteError(
    "the write-ahead log could not be emptied: a reader kept an old snapshot of the database open",
  );
}

/**
 * The patterns found in the database file, its write-ahead log or its shared-memory index.
 *
 * The files are read by a child process, never through a descriptor of this one: closing any
 * descriptor of a file releases every POSIX lock the process holds on that file, SQLite's
 * included. Another process that opened the database after that would think itself alone:
 * closing, it checkpoints and deletes the log a writer here still appends to (the commits that
 * follow are lost), and opening, it truncates the shared-memory index a writer here has mapped
 * (SIGBUS). The patterns travel over a pipe, not the command line.
 */
export function patternsInFiles(path: string, patterns: readonly string[]): string[] {
  if (patterns.length === 0) return [];
  const files = [path, `${path}-wal`, `${path}-shm`];
  // The child says what failed by the error's code and path only: a message could quote the
  // input, which holds the patterns.
  const script = `const fs = require("node:fs");
try {
  const { files, patterns } = JSON.parse(fs.readFileSync(0, "utf8"));
  process.stdout.write(JSON.stringify((${scanFiles.toString()})(fs, files, patterns)));
} catch (e) {
  process.stderr.write(e && e.code ? e.code + (e.path ? " " + e.path : "") : "the search failed (" + (e && e.name) + ")");
  process.exitCode = 2;
}`;
  const run = spawnSync(process.execPath, ["-e", script], {
    input: JSON.stringify({ files, patterns }),
    encoding: "utf8",
    env: childEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0)
    throw new ErasureIncompleteError(
      `the store's files could not be searched: ${
        run.error?.message ||
        run.stderr.trim() ||
        (run.signal ? `the search was ended by ${run.signal}` : `the search exited with ${run.status}`)
      }`,
    );
  return JSON.parse(run.stdout) as string[];
}

/**
 * What the child needs of this process's environment to start: the loader's paths, and none of
 * the server's settings or NODE_OPTIONS (a `--require` or `--inspect` meant for the server).
 */
function childEnv(): NodeJS.ProcessEnv {
  // eslint-disable-next-line no-restricted-syntax -- not settings: what the child's loader needs
  const parent = process.env;
  const env: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "LD_LIBRARY_PATH", "SystemRoot", "TMPDIR"])
    if (parent[k] !== undefined) env[k] = parent[k];
  return env;
}

/**
 * The search itself, run in the child: its source is sent there, so it may use nothing but its
 * arguments and the globals (no module-level name, no helper; only running it checks this, as
 * the tests do on the sources and on the build). Chunks overlap by one pattern length, so a
 * pattern across a boundary is seen.
 */
function scanFiles(fs: typeof NodeFs, files: string[], patterns: string[]): string[] {
  const chunk = 8 * 1024 * 1024;
  const left = new Map(patterns.map((p) => [p, Buffer.from(p, "utf8")]));
  const longest = Math.max(0, ...[...left.values()].map((b) => b.length));
  const found: string[] = [];
  for (const file of files) {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    try {
      const buf = Buffer.alloc(chunk + longest);
      let carry = 0;
      for (;;) {
        const n = fs.readSync(fd, buf, carry, chunk, null);
        if (n === 0) break;
        const view = buf.subarray(0, carry + n);
        for (const [p, bytes] of left)
          if (view.includes(bytes)) {
            found.push(p);
            left.delete(p);
          }
        if (left.size === 0) return found;
        carry = Math.min(longest, view.length);
        view.copy(buf, 0, view.length - carry);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return found;
}

/** Patterns that some live row holds, in any text column of any table. */
export function patternsInRows(db: Database.Database, patterns: readonly string[]): Set<string> {
  const live = new Set<string>();
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  for (const { name } of tables) {
    const cols = (
      db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as {
        name: string;
        type: string;
      }[]
    )
      .filter((c) => /TEXT|CHAR|CLOB|^$/i.test(c.type))
      .map((c) => `"${c.name.replace(/"/g, '""')}"`);
    if (cols.length === 0) continue;
    const table = `"${name.replace(/"/g, '""')}"`;
    for (const p of patterns) {
      if (live.has(p)) continue;
      const hit = db
        .prepare(
          `SELECT 1 FROM ${table} WHERE ${cols.map((c) => `instr(${c}, @p) > 0`).join(" OR ")} LIMIT 1`,
        )
        .get({ p });
      if (hit) live.add(p);
    }
  }
  return live;
}

/**
 * Makes the files at `path` hold no dead copy of `patterns`: checkpoint, search, and on a hit
 * that no live row explains, VACUUM and search again. Throws ErasureIncompleteError when that
 * cannot be confirmed.
 */
export function wipeErased(db: Database.Database, path: string, patterns: readonly string[]): void {
  if (patterns.length === 0) return;
  checkpointTruncate(db);
  let found = patternsInFiles(path, patterns);
  if (found.length === 0) return;
  const live = patternsInRows(db, found);
  found = found.filter((p) => !live.has(p));
  if (found.length === 0) return;
  db.exec("VACUUM");
  checkpointTruncate(db);
  const left = patternsInFiles(path, found);
  if (left.length > 0)
    throw new ErasureIncompleteError(
      `${left.length} erased value(s) are still in the database file after VACUUM`,
    );
}
