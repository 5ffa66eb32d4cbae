// What the SQLite writer's bytes are: the pages each group commit writes to the write-ahead log,
// by table and index. The writer's COMMIT writes every page the group changed, whole (4 KiB),
// and fsyncs them; this reads the log back after a run of groups and names each page with
// SQLite's `dbstat`, so the pages an event costs on its own (a random place in an index keyed
// by a hash) are told from the pages every group writes whatever its size (the right-hand end
// of append-only indexes, the rollups). Baseline in the same run: the same events in groups of
// 100 requests × 1 … and the 100-event batches.
//
//   node bench/wal-pages.mjs                    groups of 13 single events (the core benchmark's
//                                               mean at 50 connections) and 16 × 100 events
//   BENCH_QUICK=1 node bench/wal-pages.mjs      a smaller store first (20,000 events, not 100,000)
import { openSync, readSync, closeSync, fstatSync } from "node:fs";
import { join } from "node:path";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, table } from "./lib/stats.mjs";
import { openWriter } from "./lib/writer-events.mjs";

const PRELOAD = QUICK ? 20_000 : 100_000;
const GROUPS = 60;
const SHAPES = [
  ["13 requests × 1 event", 13, 1],
  ["50 requests × 1 event", 50, 1],
  ["16 requests × 100 events", 16, 100],
];

/** Pages written per commit in the log at `path`: [[pgno, …] per commit]. */
function commitsInLog(path) {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(32);
    readSync(fd, header, 0, 32, 0);
    const pageSize = header.readUInt32BE(8);
    const frame = Buffer.alloc(24);
    const commits = [];
    let pages = [];
    for (let off = 32; off + 24 + pageSize <= size; off += 24 + pageSize) {
      readSync(fd, frame, 0, 24, off);
      pages.push(frame.readUInt32BE(0));
      if (frame.readUInt32BE(4) !== 0) {
        commits.push(pages);
        pages = [];
      }
    }
    return { pageSize, commits };
  } finally {
    closeSync(fd);
  }
}

async function main() {
  printMachine("wal-pages: the SQLite writer's log pages per event, by table and index");
  const w = await openWriter("this build", ROOT);
  const db = w.committer.db;
  process.stdout.write(`   a store of ${fmt.int(PRELOAD)} events first …`);
  for (let n = 0; n < PRELOAD; n += 1000) await w.group(10, 100);
  console.log(" done");
  const results = [];
  for (const [label, requests, per] of SHAPES) {
    // An empty log, and no checkpoint until it has been read.
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.pragma("wal_autocheckpoint = 0");
    const groups = label.startsWith("16") ? GROUPS / 4 : GROUPS;
    for (let g = 0; g < groups; g++) await w.group(requests, per);
    const { pageSize, commits } = commitsInLog(join(w.dir, "tally.db-wal"));
    const names = new Map(
      db
        .prepare("SELECT pageno, name FROM dbstat")
        .all()
        .map((r) => [r.pageno, r.name]),
    );
    const byName = new Map();
    for (const pages of commits)
      for (const p of new Set(pages)) {
        const name = names.get(p) ?? "(free list)";
        byName.set(name, (byName.get(name) ?? 0) + 1);
      }
    const events = groups * requests * per;
    const frames = commits.reduce((s, c) => s + c.length, 0);
    results.push({ label, events, commits: commits.length, frames, pageSize, byName });
    db.pragma("wal_autocheckpoint = 8192");
  }
  w.close();

  console.log(
    `\n   pages written per event (frames in the log ÷ events; a page written twice in one commit counts once)\n`,
  );
  const names = [...new Set(results.flatMap((r) => [...r.byName.keys()]))].sort(
    (a, b) => (results[0].byName.get(b) ?? 0) - (results[0].byName.get(a) ?? 0),
  );
  const rows = [["table or index", ...results.map((r) => r.label)]];
  for (const name of names)
    rows.push([name, ...results.map((r) => ((r.byName.get(name) ?? 0) / r.events).toFixed(2))]);
  rows.push(["all pages", ...results.map((r) => (r.frames / r.events).toFixed(2))]);
  rows.push([
    "KiB per event",
    ...results.map((r) => ((r.frames * (r.pageSize + 24)) / r.events / 1024).toFixed(1)),
  ]);
  rows.push(["pages per commit", ...results.map((r) => (r.frames / r.commits).toFixed(0))]);
  console.log(table(rows).replace(/^/gm, "   "));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
