// The SQLite writer's cost per event, in-process and without HTTP: the group committer the
// writer thread runs (storage/sqlite/group-committer.ts) given groups shaped like the core
// benchmark's (50 requests of 1 event; 16 requests of 100 events; and 20 requests of 1 event
// from 200 returning customers known by an anonymous id, whose identity is found and whose
// touches are read), each group one transaction and one fsync (synchronous=FULL). CPU time (user + system) and wall time per event, median
// over rounds. On a shared machine CPU time per event is the steadier figure.
//
//   node bench/writer.mjs                                    this build
//   BENCH_BASE=/copy/of/another/tree node bench/writer.mjs   also that build (or several, comma-
//                                                            separated), round by round in the
//                                                            same run (an A/B)
//
// Each event is the core benchmark's Purchase as normalize leaves it (bench/lib/writer-events.mjs).
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, median, table } from "./lib/stats.mjs";
import { openWriter } from "./lib/writer-events.mjs";

const ROUNDS = QUICK ? 20 : 80;

async function main() {
  printMachine("writer: the SQLite group commit alone, CPU per event");
  const builds = [["this build", ROOT]];
  if (process.env.BENCH_BASE)
    builds.unshift(
      ...process.env.BENCH_BASE.split(",").map((root, i, all) => [
        all.length > 1 ? `base ${i + 1}` : "base",
        root,
      ]),
    );
  const impls = [];
  for (const [name, root] of builds) impls.push(await openWriter(name, root));
  const shapes = [
    ["50 requests × 1 event", 50, 1],
    ["16 requests × 100 events", 16, 100],
    ["20 requests × 1 event, returning customers", 20, 1, 200],
  ];
  const rows = [["group", ...impls.flatMap((i) => [`${i.name}: CPU/event`, "wall/event"])]];
  for (const [label, requests, per, returning] of shapes) {
    const got = impls.map(() => ({ cpu: [], wall: [] }));
    for (let round = 0; round < ROUNDS; round++)
      for (let k = 0; k < impls.length; k++) {
        const i = (k + round) % impls.length; // alternate who goes first
        const r = await impls[i].group(requests, per, returning);
        if (round >= 2) {
          got[i].cpu.push(r.cpu);
          got[i].wall.push(r.wall);
        }
      }
    rows.push([label, ...got.flatMap((g) => [fmt.ms(median(g.cpu) / 1000), fmt.ms(median(g.wall) / 1000)])]);
  }
  console.log(`   median of ${ROUNDS - 2} groups each (after 2 warm-up groups), builds alternating`);
  console.log("\n" + table(rows).replace(/^/gm, "   "));
  for (const i of impls) i.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
