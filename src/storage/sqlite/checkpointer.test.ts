/**
 * The write-ahead log's checkpoints on a thread beside the writer (checkpointer.ts), on real
 * SQLite files. The log is copied and started over while the writer commits, so it stays a
 * fraction of what SQLite alone lets it reach; the writer's connection goes back to its
 * automatic checkpoints when the thread stops or fails; an erasure waits for a pass in progress
 * (a stand-in thread holds one) and empties the log while the thread copies it every millisecond.
 */
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, expect, it } from "vitest";
import type { Identifier } from "../../domain/event.js";
import { normalizedEvent } from "../../../test/helpers/events.js";
import { tempDataDir } from "../../../test/helpers/server.js";
import { sqliteBackend, workspace, type Backend } from "../../../test/helpers/stores.js";
import {
  Cell,
  CHECKPOINT_ENTRY,
  Checkpointer,
  WAL_AUTOCHECKPOINT_PAGES,
  type CheckpointSettings,
} from "./checkpointer.js";
import { migrate, openDatabase } from "./migrate.js";
import { workerScriptUrl } from "./worker-script.js";

const NOW = Date.now();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(checkpointer: false | CheckpointSettings): Promise<Backend> {
  const b = await sqliteBackend({ checkpointer });
  cleanups.push(() => b.cleanup());
  return b;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const walBytes = (path: string) => statSync(`${path}-wal`).size;

/** Commits `batches` groups of 50 events with four identifiers each; the log's largest size. */
async function write(b: Backend, batches: number, tag: string): Promise<number> {
  const ws = await workspace(b.store);
  let largest = 0;
  for (let i = 0; i < batches; i++) {
    const items = Array.from({ length: 50 }, (_, k) => {
      const n = `${tag}-${i}-${k}`;
      const ids: [Identifier["kind"], string][] = [
        ["email", `${n}-e`.padEnd(64, "0")],
        ["phone", `${n}-p`.padEnd(64, "1")],
        ["external_id", `crm-${n}`],
        ["anonymous_id", `a-${n}`],
      ];
      return {
        event: normalizedEvent(ws.id, NOW, { eventId: n, orderId: `o-${n}`, ids }),
        windows: null,
        source: "server" as const,
      };
    });
    expect((await b.store.commitEvents(items, [])).every((o) => o.status === "accepted")).toBe(true);
    largest = Math.max(largest, walBytes(b.path!));
  }
  return largest;
}

it("copies the log beside the writer and starts it over: it stays a fraction of what SQLite alone lets it reach", async () => {
  // SQLite alone (the writer checkpoints at 8,192 pages): the log holds everything written.
  const alone = await backend(false);
  const grown = await write(alone, 60, "alone");
  // The same writes with the thread, starting the log over at 64 pages (256 KiB).
  const beside = await backend({ intervalMs: 2, passFrames: 16, restartFrames: 64 });
  const kept = await write(beside, 60, "beside");

  expect(grown).toBeGreaterThan(4 * 1024 * 1024);
  expect(kept).toBeLessThan(grown / 4);
  // Nothing is lost on the way: a new connection reads every event.
  const db = new Database(beside.path, { readonly: true });
  try {
    expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 3000 });
  } finally {
    db.close();
  }
});

/** A database file with the schema, opened as the writer opens it, and a temporary folder. */
function writerDb(): { db: Database.Database; path: string; dir: string } {
  const dir = tempDataDir("tally-ckpt-");
  const path = join(dir, "tally.db");
  const db = openDatabase(path, "normal");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => void db.close());
  migrate(db);
  return { db, path, dir };
}

const autoPages = (db: Database.Database) => db.pragma("wal_autocheckpoint", { simple: true });

/**
 * A stand-in for the thread, in a file: says it is ready while inside a pass (the `passing`
 * cell set), then `then` runs. Only the handshake is faked; the cells are the real ones.
 */
function standIn(dir: string, then: string): string {
  const file = join(dir, `stand-in-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { parentPort, workerData } from "node:worker_threads";
import { writeFileSync } from "node:fs";
const cells = new Int32Array(workerData.cells);
Atomics.store(cells, ${Cell.passing}, 1);
parentPort.postMessage("ready");
${then}
`,
  );
  return pathToFileURL(file).href;
}

it("hands the writer's connection its automatic checkpoints back when the thread stops", async () => {
  const { db, path } = writerDb();
  expect(autoPages(db)).toBe(WAL_AUTOCHECKPOINT_PAGES);

  const script = (await workerScriptUrl(CHECKPOINT_ENTRY)).href;
  const cp = new Checkpointer(db, path, { script, intervalMs: 5, passFrames: 16, restartFrames: 64 });
  await cp.started;
  expect(cp.running).toBe(true);
  expect(autoPages(db)).toBe(0);

  await cp.stop();
  expect(cp.running).toBe(false);
  expect(autoPages(db)).toBe(WAL_AUTOCHECKPOINT_PAGES);
});

it("waits for a pass in progress before an erasure's own checkpoint", async () => {
  const { db, path, dir } = writerDb();
  const done = join(dir, "pass-done");
  // The pass ends 300 ms after "ready": its end is written down before the cell is cleared.
  const script = standIn(
    dir,
    `setTimeout(() => {
  writeFileSync(${JSON.stringify(done)}, "");
  Atomics.store(cells, ${Cell.passing}, 0);
  Atomics.notify(cells, ${Cell.passing});
}, 300);
parentPort.on("message", () => parentPort.close());`,
  );
  const cp = new Checkpointer(db, path, { script, intervalMs: 5, passFrames: 16, restartFrames: 64 });
  cleanups.push(() => cp.stop());
  await cp.started;
  expect(cp.running).toBe(true);
  expect(cp.passInProgress).toBe(true);
  // Without the wait the wipe would run beside the pass (and SQLite answer it "busy").
  expect(cp.paused(() => existsSync(done))).toBe(true);
});

it("a thread that ends inside a pass leaves the writer its own checkpoints and no pass to wait for", async () => {
  const { db, path, dir } = writerDb();
  const script = standIn(dir, `setTimeout(() => { throw new Error("the thread fails"); }, 20);`);
  const cp = new Checkpointer(db, path, { script, intervalMs: 5, passFrames: 16, restartFrames: 64 });
  await cp.started;
  for (let i = 0; i < 500 && cp.running; i++) await pause(10);
  expect(cp.running).toBe(false);
  expect(autoPages(db)).toBe(WAL_AUTOCHECKPOINT_PAGES);
  // An erasure does not wait (10 s) for the pass the thread was in when it ended.
  expect(cp.passInProgress).toBe(false);
  expect(cp.paused(() => "wiped")).toBe("wiped");
});

it("empties the log for an erasure while the thread copies it every millisecond", async () => {
  const b = await backend({ intervalMs: 1, passFrames: 1, restartFrames: 64 });
  const ws = await workspace(b.store);
  const ids: [Identifier["kind"], string][] = [["external_id", "crm-erase-ckpt"]];
  await b.store.commitEvents(
    [{ event: normalizedEvent(ws.id, NOW, { eventId: "to-erase", ids }), windows: null, source: "server" }],
    [],
  );
  // Commits keep coming, so the thread has a pass to run at every look.
  let writing = true;
  const traffic = (async () => {
    for (let i = 0; writing; i++) {
      const ev = normalizedEvent(ws.id, NOW, { eventId: `traffic-${i}`, ids: [["anonymous_id", `a-${i}`]] });
      await b.store.commitEvents([{ event: ev, windows: null, source: "server" }], []);
    }
  })();
  try {
    for (let i = 0; i < 5; i++) {
      await pause(20);
      expect(await b.store.erase(ws.id, [{ kind: "external_id", value: "crm-erase-ckpt" }])).toBe(
        i === 0 ? 1 : 0,
      );
    }
  } finally {
    writing = false;
    await traffic;
  }
});
