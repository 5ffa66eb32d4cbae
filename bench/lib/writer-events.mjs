// The SQLite writer in-process, for bench/writer.mjs and bench/wal-pages.mjs: a group committer
// on a fresh file in a temporary folder, one workspace, and groups of the core benchmark's
// Purchase as normalize leaves it: hashed email and phone, external and anonymous id (four
// identifiers, a new person), event id and order id (two dedup keys), sealed IP, the quality
// input.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";

const h = (s) => createHash("sha256").update(s).digest("hex");

async function load(root) {
  const dist = (p) => import(join(root, "dist/src", p));
  const { SqliteGroupCommitter } = await dist("storage/sqlite/group-committer.js");
  const { commitCore } = await dist("commit/index.js");
  const { DEFAULT_QUALITY_SETTINGS } = await dist("quality/settings.js");
  const { newId } = await dist("domain/ids.js");
  return { SqliteGroupCommitter, commitCore, settings: DEFAULT_QUALITY_SETTINGS, newId };
}

/**
 * The Purchase of customer `n`; with `returning`, of one of that many returning customers known
 * by their anonymous id alone (the identity is found, and their touches are read for attribution).
 */
function purchase(ws, impl, run, n, returning = 0) {
  const id = `${run}-${n}`;
  const now = Date.now();
  const em = h(`shopper.${id}@example.com`);
  const ph = h(`+1${2000000000 + n}`);
  return {
    event: {
      id: impl.newId("evt", now), // time-sorted, as the server makes them
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
      identifiers: returning
        ? [{ kind: "anonymous_id", value: `a-${run}-r${n % returning}` }]
        : [
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
      qualityInput: { bot: false, addressKey: "a:203.0.113.9", datacenter: false, settings: impl.settings },
    },
    windows: { clickWindowDays: 30, viewWindowDays: 1 },
    source: "server",
  };
}

/** A writer of the build at `root` (its dist/): `group(requests, perRequest)` runs one group. */
export async function openWriter(name, root) {
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
    committer: c,
    /** One group of `requests` × `perRequest` events; `returning`: of that many returning customers. */
    async group(requests, perRequest, returning = 0) {
      const group = [];
      for (let r = 0; r < requests; r++) {
        const items = Array.from({ length: perRequest }, () => purchase(wsId, impl, run, n++, returning));
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
