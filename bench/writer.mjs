// The SQLite writer's cost per event, in-process and without HTTP: the group committer the
// writer thread runs (storage/sqlite/group-committer.ts) given groups shaped like the core
// benchmark's (50 requests of 1 event; 16 requests of 100 events), each group one transaction
// and one fsync (synchronous=FULL). CPU time (user + system) and wall time per event, median
// over rounds. On a shared machine CPU time per event is the steadier figure.
//
//   node bench/writer.mjs                                    this build
//   BENCH_BASE=/copy/of/another/tree node bench/writer.mjs   also that build (or several, comma-
//                                                            separated), round by round in the
//                                                            same run (an A/B)
//
// Each event is the core benchmark's Purchase as normalize leaves it: hashed email and phone,
// external and anonymous id (four identifiers, a new person), event id and order id (two
// dedup keys), sealed IP, the quality input.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, median, table } from "./lib/stats.mjs";

const ROUNDS = QUICK ? 20 : 80;
const h = (s) => createHash("sha256").update(s).digest("hex");

async function load(root) {
  const dist = (p) => import(join(root, "dist/src", p));
  const { SqliteGroupCommitter } = await dist("storage/sqlite/group-committer.js");
  const { commitCore } = await dist("commit/index.js");
  const { DEFAULT_QUALITY_SETTINGS } = await dist("quality/settings.js");
  return { SqliteGroupCommitter, commitCore, settings: DEFAULT_QUALITY_SETTINGS };
}

function purchase(ws, settings, run, n) {
  const id = `${run}-${n}`;
  const now = Date.now();
  const em = h(`shopper.${id}@example.com`);
  const ph = h(`+1${2000000000 + n}`);
  return {
    event: {
      id: `evt_${randomBytes(12).toString("base64url")}`,
      workspaceId: ws,
      eventName: "Purchase",
      isConversion: true,
      eventTime: now,
      receivedAt: now,
      eventId: id,
      orderId: `o-${id}`,
      actionSource: "website",
      eventSourceUrl: "https://shop.example/thanks",
      value: 99.99,
      currency: "USD",
      user: {
        em,
        em_google: em,
        ph,
        ph_digits: h(`1${2000000000 + n}`),
        external_id: `crm-${id}`,
        anonymous_id: `a-${id}`,
        client_ip_truncated: "203.0.113.0",
        client_ip_enc: randomBytes(44).toString("base64"),
        client_user_agent:
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0",
        fbp: "fb.1.1764426811.123456",
      },
      identifiers: [
        { kind: "email", value: em },
        { kind: "phone", value: ph },
        { kind: "external_id", value: `crm-${id}` },
        { kind: "anonymous_id", value: `a-${id}` },
      ],
      customData: {},
      consent: null,
      testEventCode: null,
      touch: null,
      warnings: [],
      matchQuality: { score: 8, ids: ["email", "phone"], problems: [] },
      qualityInput: { bot: false, addressKey: "a:203.0.113.9", datacenter: false, settings },
    },
    windows: { clickWindowDays: 30, viewWindowDays: 1 },
    source: "server",
  };
}

async function setup(name, root) {
  const impl = await load(root);
  const dir = mkdtempSync(join(tmpdir(), "tally-writer-"));
  const c = new impl.SqliteGroupCommitter(
    { path: join(dir, "tally.db"), synchronous: "full", dedupWindowMs: 7 * 86_400_000 },
    impl.commitCore,
  );
  let msg = 1;
  const [ws] = await c.run([
    {
      id: msg++,
      op: "createWorkspace",
      args: JSON.stringify([
        { name: "Bench", currency: "USD", timezone: "UTC", defaultCountry: "US" },
        { publicKey: `pk_${randomBytes(16).toString("hex")}`, secretKeyHash: h(name) },
        [{ name: "Purchase", required: [], clickWindowDays: 30, viewWindowDays: 1 }],
      ]),
      weight: 1,
    },
  ]);
  if (!ws.ok) throw new Error(ws.error);
  const wsId = ws.result.id;
  let n = 0;
  const run = randomBytes(4).toString("hex");
  return {
    name,
    dir,
    async group(requests, perRequest) {
      const group = [];
      for (let r = 0; r < requests; r++) {
        const items = Array.from({ length: perRequest }, () => purchase(wsId, impl.settings, run, n++));
        const deltas = [
          { workspaceId: wsId, minute: Date.now() - (Date.now() % 60_000), received: perRequest },
        ];
        group.push({
          id: msg++,
          op: "commitEvents",
          args: JSON.stringify([items, deltas]),
          weight: perRequest,
        });
      }
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const replies = await c.run(group);
      const wall = Number(process.hrtime.bigint() - t0) / 1e3;
      const cpu = process.cpuUsage(c0);
      if (replies.some((x) => !x.ok)) throw new Error(replies.find((x) => !x.ok).error);
      const events = requests * perRequest;
      return { cpu: (cpu.user + cpu.system) / events, wall: wall / events };
    },
    close() {
      c.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

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
  for (const [name, root] of builds) impls.push(await setup(name, root));
  const shapes = [
    ["50 requests × 1 event", 50, 1],
    ["16 requests × 100 events", 16, 100],
  ];
  const rows = [["group", ...impls.flatMap((i) => [`${i.name}: CPU/event`, "wall/event"])]];
  for (const [label, requests, per] of shapes) {
    const got = impls.map(() => ({ cpu: [], wall: [] }));
    for (let round = 0; round < ROUNDS; round++)
      for (let k = 0; k < impls.length; k++) {
        const i = (k + round) % impls.length; // alternate who goes first
        const r = await impls[i].group(requests, per);
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
