/**
 * Two PostgresStore instances on one schema — two nodes' stores, each with its own pool and
 * group committer — racing on the things that must stay exact across nodes: dedup (event_id
 * and order_id rules), the identity graph under concurrent merges, and outbox claims.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSource, Identifier, NormalizedEvent } from "../../src/domain/event.js";
import { newId } from "../../src/domain/ids.js";
import { DAY_MS } from "../../src/domain/time.js";
import { standardActions } from "../../src/domain/workspace.js";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import type { CommitItem, Store } from "../../src/storage/storage.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";
import { commitCore } from "../../src/open-store.js";
import { normalizedEvent } from "../helpers/events.js";

const pgUp = await postgresAvailable("the cross-node store tests");
const NOW = Date.now();

function event(ws: string, o: Partial<NormalizedEvent> & { ids?: Identifier[] } = {}): NormalizedEvent {
  const { ids, ...rest } = o;
  return normalizedEvent(ws, NOW, { actionSource: null, value: 1, identifiers: ids ?? [], ...rest });
}
const item = (ev: NormalizedEvent, source: EventSource = "server"): CommitItem => ({
  event: ev,
  windows: { clickWindowDays: 30, viewWindowDays: 1 },
  source,
});

describe.skipIf(!pgUp)("two nodes' stores on one database", () => {
  let schema: TestSchema;
  let a: Store;
  let b: Store;
  let ws: string;

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "4" });
    // Small groups, so the race interleaves many transactions rather than two big ones.
    a = new PostgresStore({
      url: schema.url,
      dedupWindowMs: 7 * DAY_MS,
      maxGroupWeight: 20,
      core: commitCore,
    });
    b = new PostgresStore({
      url: schema.url,
      dedupWindowMs: 7 * DAY_MS,
      maxGroupWeight: 20,
      core: commitCore,
    });
    await Promise.all([a.init(), b.init()]); // migrations race too
    ws = (
      await a.createWorkspace(
        { name: "Race", currency: "USD", timezone: "UTC" },
        { publicKey: "pk_race", secretKeyHash: "h_race" },
        standardActions(),
      )
    ).id;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
  });

  it("counts an event_id sent to both nodes at once exactly once", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `storm-${i}`);
    const calls = ids.flatMap((id) =>
      [a, b, a, b].map((s) => s.commitEvents([item(event(ws, { eventId: id }))], [])),
    );
    const outcomes = (await Promise.all(calls)).flat();
    const accepted = outcomes.filter((o) => o.status === "accepted");
    expect(accepted).toHaveLength(200);
    // every copy names the one accepted event of its id
    const byId = new Map<string, Set<string>>();
    outcomes.forEach((o, i) => {
      const key = ids[Math.floor(i / 4)]!;
      if (!byId.has(key)) byId.set(key, new Set());
      byId.get(key)!.add(o.id);
    });
    expect([...byId.values()].every((s) => s.size === 1)).toBe(true);
  });

  it("applies the order_id rules exactly across nodes", async () => {
    const pairs = Array.from({ length: 100 }, (_, i) => i);
    const results = await Promise.all(
      pairs.map(async (i) => {
        const [x, y] = await Promise.all([
          a.commitEvents([item(event(ws, { eventId: `ord-e-${i}`, orderId: `ord-${i}` }))], []),
          b.commitEvents([item(event(ws, { orderId: `ord-${i}` }))], []),
        ]);
        return [x[0]!.status, y[0]!.status].filter((s) => s === "accepted").length;
      }),
    );
    expect(results.every((n) => n === 1)).toBe(true);
    // two different event_ids with one order id are never duplicates, even racing
    const never = await Promise.all(
      pairs.map((i) =>
        (i % 2 ? a : b).commitEvents(
          [item(event(ws, { eventId: `other-${i}`, orderId: "shared-order" }))],
          [],
        ),
      ),
    );
    expect(never.flat().every((o) => o.status === "accepted")).toBe(true);
  });

  it.each([1, 2, 3, 4])(
    "keeps the identity graph one group per connected set of identifiers under concurrent merges (round %i)",
    async (round) => {
      // The edges of random trees over 300 fresh ids, in random order, alternating nodes: every
      // edge is the only path between its ends, so one link lost to a race splits a group.
      // Merges race with new identifiers joining the groups being merged.
      let seed = 7 * round;
      const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      const N = 300;
      const links = Array.from({ length: N - 1 }, (_, i) => [i + 1, rand(i + 1)] as [number, number]);
      for (let i = links.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [links[i], links[j]] = [links[j]!, links[i]!];
      }
      const prefix = `anonymous_id:r${round}-`;
      const ident = (n: number): Identifier => ({ kind: "anonymous_id", value: `r${round}-${n}` });
      await Promise.all(
        links.map(([x, y], i) =>
          (i % 2 ? a : b).commitEvents(
            [item(event(ws, { eventName: "PageView", isConversion: false, ids: [ident(x), ident(y)] }))],
            [],
          ),
        ),
      );
      // union-find over what was sent
      const parent = Array.from({ length: N }, (_, i) => i);
      const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
      for (const [x, y] of links) parent[find(x)] = find(y);

      const c = new pg.Client({ connectionString: schema.url });
      await c.connect();
      try {
        const rows = (
          await c.query<{ ident: string; person: string }>(
            "SELECT ident, person FROM identities WHERE workspace_id = $1 AND ident LIKE $2",
            [ws, `${prefix}%`],
          )
        ).rows;
        const personOf = new Map(rows.map((r) => [Number(r.ident.slice(prefix.length)), r.person]));
        const used = new Set(links.flat());
        expect(personOf.size).toBe(used.size);
        const byRoot = new Map<number, Set<string>>();
        for (const n of used) {
          const r = find(n);
          if (!byRoot.has(r)) byRoot.set(r, new Set());
          byRoot.get(r)!.add(personOf.get(n)!);
        }
        for (const persons of byRoot.values()) expect(persons.size).toBe(1);
        // and no two components share a person
        const all = [...byRoot.values()].map((s) => [...s][0]);
        expect(new Set(all).size).toBe(all.length);
        // every person in use has its row (the lock target); merged-away ones are gone
        const persons = (
          await c.query<{ id: string }>("SELECT id FROM persons WHERE workspace_id = $1", [ws])
        ).rows.map((r) => r.id);
        for (const p of all) expect(persons).toContain(p);
      } finally {
        await c.end();
      }
    },
  );

  it("commits every batch when both nodes keep adding the same new identifiers", async () => {
    // Batches of events naming few, new identifiers, on both nodes at once: a node often finds
    // that the other added an identifier it took for new. The clash reruns the operation from
    // its savepoint; no batch is refused as "too contended".
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    // Waves of 20 batches (10 per node), each wave over 30 identifiers none has seen.
    const batches = Array.from({ length: 400 }, (_, i) =>
      Array.from({ length: 10 }, () =>
        event(ws, {
          eventName: "PageView",
          isConversion: false,
          ids: [
            { kind: "anonymous_id", value: `clash-${i % 20}-${rand(30)}` },
            { kind: "email", value: `clash-mail-${i % 20}-${rand(30)}` },
          ],
        }),
      ).map((ev) => ({ ev, node: i % 2 ? a : b })),
    );
    const settled = await Promise.allSettled(
      batches.map((evs) =>
        evs[0]!.node.commitEvents(
          evs.map((x) => item(x.ev)),
          [],
        ),
      ),
    );
    const refused = settled.filter((s) => s.status === "rejected");
    expect(refused.map((r) => String(r.reason))).toEqual([]);
    const outcomes = settled.flatMap((s) => (s.status === "fulfilled" ? s.value : []));
    expect(outcomes.filter((o) => o.status === "accepted")).toHaveLength(4000);
  });

  it("never hands one delivery to workers on two nodes", async () => {
    const d = await a.createDestination({
      id: newId("dst"),
      workspaceId: ws,
      type: "webhook",
      name: "h",
      events: null,
      configEnc: "x",
      createdAt: NOW,
    });
    await a.commitEvents(
      Array.from({ length: 60 }, (_, i) => item(event(ws, { eventId: `dl-${i}` }))),
      [],
    );
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).claimDeliveries(d.workspaceId, d.id, 10, NOW + 1, 60_000, `w${i}`),
      ),
    );
    const ids = claims.flat().map((j) => j.id);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });
});
