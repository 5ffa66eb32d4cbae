import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErasureIncompleteError } from "../storage.js";
import { patternsInFiles, wipeErased } from "./wipe-file.js";

let dir: string;
let path: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tally-wipe-"));
  path = join(dir, "t.db");
  db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 20");
  db.exec("CREATE TABLE ids (ws TEXT, ident TEXT, PRIMARY KEY (ws, ident)) WITHOUT ROWID");
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Random-key inserts split pages all over the b-tree: moved cells leave copies behind. */
function fill(markers: string[]): void {
  const ins = db.prepare("INSERT INTO ids VALUES ('w', ?)");
  db.transaction(() => {
    for (let i = 0; i < 8_000; i++) ins.run(`email:${randomBytes(12).toString("hex")}`);
    for (const m of markers) ins.run(`email:${m}`);
    for (let i = 0; i < 8_000; i++) ins.run(`email:${randomBytes(12).toString("hex")}`);
  })();
}

const fileHolds = (s: string) =>
  [path, `${path}-wal`].some((f) => {
    try {
      return readFileSync(f).includes(s);
    } catch {
      return false;
    }
  });

describe("wipeErased", () => {
  it("leaves no dead copy, even in a file written without secure_delete (VACUUM)", () => {
    db.pragma("secure_delete = OFF");
    const markers = Array.from({ length: 100 }, () => `${randomBytes(8).toString("hex")}MARKER`);
    fill(markers);
    const del = db.prepare("DELETE FROM ids WHERE ident = ?");
    db.transaction(() => markers.forEach((m) => del.run(`email:${m}`)))();
    db.pragma("wal_checkpoint(TRUNCATE)");
    // The control: without secure_delete the deleted cells are still readable in the file.
    expect(patternsInFiles(path, markers).length).toBeGreaterThan(0);

    wipeErased(db, path, markers);
    expect(markers.filter(fileHolds)).toEqual([]);
    expect(db.prepare("SELECT count(*) AS n FROM ids").get()).toEqual({ n: 16_000 });
  });

  it("a pattern a live row still holds (another workspace's) is not a failure", () => {
    db.pragma("secure_delete = ON");
    db.prepare("INSERT INTO ids VALUES ('other', 'email:shared-value-123')").run();
    expect(() => wipeErased(db, path, ["shared-value-123"])).not.toThrow();
  });

  it("ErasureIncompleteError while a reader keeps an old snapshot, and done once it lets go", () => {
    db.pragma("secure_delete = ON");
    db.prepare("INSERT INTO ids VALUES ('w', 'email:gone-soon-1234')").run();
    const reader = new Database(path, { readonly: true });
    try {
      reader.exec("BEGIN");
      reader.prepare("SELECT count(*) FROM ids").get(); // the read transaction starts here
      db.prepare("DELETE FROM ids WHERE ident = 'email:gone-soon-1234'").run();
      expect(() => wipeErased(db, path, ["gone-soon-1234"])).toThrow(ErasureIncompleteError);
      reader.exec("COMMIT");
      wipeErased(db, path, ["gone-soon-1234"]);
      expect(fileHolds("gone-soon-1234")).toBe(false);
    } finally {
      reader.close();
    }
  });

  it("finds a pattern across the boundary of two read chunks, in any of the three files", () => {
    const raw = join(dir, "raw.bin");
    const buf = Buffer.alloc(9 * 1024 * 1024, 0x7a);
    buf.write("edge-marker", 8 * 1024 * 1024 - 4);
    writeFileSync(raw, buf);
    writeFileSync(`${raw}-shm`, "in the shm");
    expect(patternsInFiles(raw, ["edge-marker", "not-there-at-all", "the shm"])).toEqual([
      "edge-marker",
      "the shm",
    ]);
  });

  it("a search that fails says how (the error's code), without the patterns, as an ErasureIncompleteError", () => {
    // A directory opens for reading and then refuses to be read: EISDIR, in the child.
    const run = () => patternsInFiles(dir, ["a-secret@example.com"]);
    expect(run).toThrow(ErasureIncompleteError);
    expect(run).toThrow("the store's files could not be searched: EISDIR");
    expect(run).not.toThrow(/a-secret/);
  });

  it("keeps this process's SQLite locks: another process that opens and closes the database leaves its log alone", () => {
    db.pragma("secure_delete = ON");
    db.prepare("INSERT INTO ids VALUES ('w', 'email:held-locks-5678')").run();
    db.prepare("DELETE FROM ids WHERE ident = 'email:held-locks-5678'").run();
    wipeErased(db, path, ["held-locks-5678"]);
    db.prepare("INSERT INTO ids VALUES ('w', 'email:after-the-wipe')").run();
    // A descriptor of the file opened and closed here would have released this process's locks:
    // the other process, thinking itself the last connection, would checkpoint and delete the
    // log (and the index) while `db` still writes to them.
    const other = `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve("better-sqlite3"))});
const d = new D(${JSON.stringify(path)}); d.prepare("SELECT count(*) FROM ids").get(); d.close();`;
    execFileSync(process.execPath, ["-e", other]);
    expect([existsSync(`${path}-wal`), existsSync(`${path}-shm`)]).toEqual([true, true]);
    db.prepare("INSERT INTO ids VALUES ('w', 'email:still-logged')").run();
    expect(db.prepare("SELECT count(*) AS n FROM ids WHERE ident LIKE 'email:%-%'").get()).toEqual({ n: 2 });
  });
});
