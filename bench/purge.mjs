// The hourly purge beside ingestion, on the embedded store: how long a request's commit waits
// while expired dedup keys are deleted, against the same commits with no purge (same run).
//
//   node scripts/build.mjs && node bench/purge.mjs [--keys 1000000]   (npm run bench -- purge)
//   BENCH_QUICK=1 node bench/purge.mjs   200,000 keys
//
// A store (synchronous=full) gets N dedup keys 30 days old, written straight into the file
// (an hour of 140 events/s with two keys each is a million). Then one commit of one event every
// 20 ms: for 2 s alone, then from the moment a purge starts until it ends. The purge deletes the
// keys in slices, each a writer operation that waits behind requests queued with it
// (src/storage/sqlite/writer-queue.ts); in one statement it held every commit for all of it.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUICK, printMachine } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { quantile } from "./lib/stats.mjs";

const i = process.argv.indexOf("--keys");
const N = i > 0 ? Number(process.argv[i + 1]) : QUICK ? 200_000 : 1_000_000;
const DAY = 86_400_000;
const dist = (p) => import(join(ROOT, "dist/src", p));
const { SqliteStore } = await dist("storage/sqlite/sqlite-store.js");
const { SQLITE_WRITER_ENTRY } = await dist("open-store.js");
const { standardActions } = await dist("domain/workspace.js");
const { newId } = await dist("domain/ids.js");

printMachine(`purge: commits while ${N.toLocaleString("en-US")} expired dedup keys are deleted`);
const dir = mkdtempSync(join(tmpdir(), "tally-bench-purge-"));
const path = join(dir, "tally.db");
const open = async () => {
  const s = new SqliteStore({
    path,
    synchronous: "full",
    dedupWindowMs: 7 * DAY,
    maxGroupWeight: 5000,
    writer: SQLITE_WRITER_ENTRY,
  });
  await s.init();
  return s;
};

let store = await open();
const ws = await store.createWorkspace(
  { name: "Bench", currency: "USD", timezone: "UTC" },
  { publicKey: `pk_${newId("k")}`, secretKeyHash: newId("h") },
  standardActions(),
);
await store.close();
const db = new Database(path);
const old = Date.now() - 30 * DAY;
const insert = db.prepare(
  "INSERT INTO dedup_keys (workspace_id, key, event_ref, received_at) VALUES (?, ?, ?, ?)",
);
db.transaction(() => {
  for (let k = 0; k < N; k++) insert.run(ws.id, `e|Purchase|old-${k}`, `evt_old_${k}`, old + k);
})();
db.close();
store = await open();

let seq = 0;
const commitOne = async () => {
  const now = Date.now();
  const t = performance.now();
  await store.commitEvents(
    [
      {
        event: {
          id: newId("evt"),
          workspaceId: ws.id,
          eventName: "Purchase",
          isConversion: true,
          eventTime: now - 60_000,
          receivedAt: now,
          eventId: `fresh-${++seq}`,
          orderId: null,
          actionSource: "website",
          eventSourceUrl: null,
          value: 10,
          currency: "USD",
          user: {},
          identifiers: [],
          customData: {},
          consent: null,
          testEventCode: null,
          touch: null,
          warnings: [],
        },
        windows: null,
        source: "server",
      },
    ],
    [],
  );
  return performance.now() - t;
};
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const summary = (xs) => {
  const q = (p) => quantile(xs, p).toFixed(1);
  return `p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms over ${xs.length} commits`;
};

await commitOne(); // the writer's statements prepared
const alone = [];
for (const end = performance.now() + 2000; performance.now() < end; await pause(20))
  alone.push(await commitOne());

const now = Date.now();
const t0 = performance.now();
let purgeMs = null;
let purging = true;
const purge = store
  .purge(now, now - 7 * DAY, now - 7 * DAY)
  .then(() => (purgeMs = performance.now() - t0))
  .finally(() => (purging = false));
const during = [];
while (purging) {
  during.push(await commitOne());
  await pause(20);
}
await purge;
console.log(`   commits, no purge:      ${summary(alone)}`);
console.log(`   commits, during purge:  ${summary(during)}`);
console.log(`   the purge of ${N.toLocaleString("en-US")} keys took ${(purgeMs / 1000).toFixed(2)} s`);
await store.close();
rmSync(dir, { recursive: true, force: true });
