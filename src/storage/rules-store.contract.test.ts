/**
 * The rules half of the storage contract (`Store.rules`), against a real SQLite file and a
 * real PostgreSQL schema: rules CRUD and the per-workspace limit, the cooldown fence (of two
 * concurrent signals for one rule and key, one is stored), signal outbox rows claimed as
 * `kind: "signal"` beside event rows, pending applies claimed once, the day's budget base.
 */
import { pgBackend, sqliteBackend, webhookDestination } from "../../test/helpers/stores.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../domain/ids.js";
import { MINUTE_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { postgresAvailable } from "../../test/postgres/pg-test-db.js";
import type { SignalRecord } from "./rules-store.js";
import type { Store } from "./storage.js";

const NOW = Date.now();
const pgUp = await postgresAvailable("the PostgreSQL half of the rules storage contract");

const makeSqlite = sqliteBackend;
const makePg = pgBackend;

let seq = 0;

describe.each([
  ["sqlite", makeSqlite, false],
  ["postgres", makePg, !pgUp],
] as const)("Rules store contract: %s", (_name, make, skip) => {
  describe.skipIf(skip)("", () => {
    let b: Awaited<ReturnType<typeof makeSqlite>>;
    let store: Store;
    beforeAll(async () => {
      b = await make();
      store = b.store;
    });
    afterAll(async () => {
      await b?.cleanup();
    });

    const workspace = async () => {
      const n = ++seq;
      return store.createWorkspace(
        { name: `Shop ${n}`, currency: "USD", timezone: "UTC" },
        { publicKey: `pk_${n}_${newId("k")}`, secretKeyHash: newId("h") },
        standardActions(),
      );
    };
    const rule = (workspaceId: string) => ({
      id: newId("rul"),
      workspaceId,
      spec: { name: "r", metric: "cpa" },
      createdAt: NOW,
      updatedAt: NOW,
    });
    const signal = (
      workspaceId: string,
      ruleId: string,
      at: number,
      o: Partial<SignalRecord> = {},
    ): SignalRecord => ({
      id: newId("sig", at),
      workspaceId,
      ruleId,
      rule: "r",
      key: "Brand",
      platform: "meta",
      metric: "cpa",
      value: null,
      threshold: 40,
      signal: "pause",
      at,
      applied: null,
      ...o,
    });

    it("creates within the limit, lists, updates, deletes", async () => {
      const ws = await workspace();
      const a = (await store.rules.createRule(rule(ws.id), 2))!;
      expect(await store.rules.createRule(rule(ws.id), 2)).not.toBeNull();
      expect(await store.rules.createRule(rule(ws.id), 2)).toBeNull();
      expect(await store.rules.listRules(ws.id)).toHaveLength(2);
      const u = await store.rules.updateRule(ws.id, a.id, { name: "s" }, NOW + 1);
      expect(u).toMatchObject({ id: a.id, spec: { name: "s" }, createdAt: NOW, updatedAt: NOW + 1 });
      expect(await store.rules.updateRule("ws_other", a.id, {}, NOW)).toBeNull();
      expect(await store.rules.deleteRule(ws.id, a.id)).toBe(true);
      expect(await store.rules.deleteRule(ws.id, a.id)).toBe(false);
      expect(await store.rules.getRule(ws.id, a.id)).toBeNull();
    });

    it("the cooldown fence: of two signals racing for one (rule, key), one is stored", async () => {
      const ws = await workspace();
      const r = (await store.rules.createRule(rule(ws.id), 10))!;
      const since = NOW - 60 * MINUTE_MS;
      const opts = { cooldownSince: since, destinationIds: [], payload: "{}" };
      const raced = await Promise.all([
        store.rules.recordSignal(signal(ws.id, r.id, NOW), opts),
        store.rules.recordSignal(signal(ws.id, r.id, NOW + 1), opts),
      ]);
      expect(raced.filter(Boolean)).toHaveLength(1);
      // Another key is its own fence; after the cooldown the same key fires again.
      expect(await store.rules.recordSignal(signal(ws.id, r.id, NOW + 2, { key: "Other" }), opts)).toBe(true);
      expect(
        await store.rules.recordSignal(signal(ws.id, r.id, NOW + 61 * MINUTE_MS), {
          ...opts,
          cooldownSince: NOW + MINUTE_MS + 2,
        }),
      ).toBe(true);
      const listed = await store.rules.listSignals(ws.id, null, null, 10);
      expect(listed.map((s) => s.key)).toEqual(["Brand", "Other", "Brand"]);
      expect(await store.rules.listFires(ws.id)).toHaveLength(2);
    });

    it("queues a signal outbox row per destination, claimed as kind signal", async () => {
      const ws = await workspace();
      const d = await webhookDestination(store, ws.id, { configEnc: "x", createdAt: NOW });
      const r = (await store.rules.createRule(rule(ws.id), 10))!;
      const s = signal(ws.id, r.id, NOW);
      const payload = JSON.stringify({ id: s.id, key: "Brand" });
      await store.rules.recordSignal(s, { cooldownSince: NOW - 1, destinationIds: [d.id], payload });
      const jobs = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 1, 60_000, "W");
      expect(jobs).toEqual([
        expect.objectContaining({
          kind: "signal",
          ref: s.id,
          payload: { id: s.id, key: "Brand" },
          attempts: 0,
        }),
      ]);
      await store.completeDeliveries(
        d.workspaceId,
        [
          {
            id: jobs[0]!.id,
            status: "delivered",
            attempts: 1,
            lastStatusCode: 204,
            lastError: null,
            nextAttemptAt: null,
            deliveredAt: NOW + 2,
            dedupId: s.id,
          },
        ],
        "W",
      );
      expect(await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 3, 60_000, "W")).toEqual([]);
    });

    it("claims a pending apply once, keeps it pending until settled; the day's budget base is kept", async () => {
      const ws = await workspace();
      const r = (await store.rules.createRule(rule(ws.id), 10))!;
      const s = signal(ws.id, r.id, NOW, { applied: { status: "pending", status_code: null, error: null } });
      await store.rules.recordSignal(s, { cooldownSince: NOW - 1, destinationIds: [], payload: "{}" });
      const [a, b2] = await Promise.all([
        store.rules.claimApplies(NOW + 1, 60_000, 10),
        store.rules.claimApplies(NOW + 1, 60_000, 10),
      ]);
      expect([...a, ...b2].map((x) => [x.id, x.attempts])).toEqual([[s.id, 1]]);
      await store.rules.setApplied(
        s.workspaceId,
        s.id,
        { status: "pending", status_code: 503, error: "down" },
        NOW + 10,
      );
      expect(await store.rules.claimApplies(NOW + 5, 60_000, 10)).toEqual([]);
      expect((await store.rules.claimApplies(NOW + 10, 60_000, 10)).map((x) => x.attempts)).toEqual([2]);
      await store.rules.setApplied(
        s.workspaceId,
        s.id,
        { status: "applied", status_code: 200, error: null, to: 80 },
        null,
      );
      expect(await store.rules.claimApplies(NOW + 1e9, 60_000, 10)).toEqual([]);
      expect((await store.rules.listSignals(ws.id, null, null, 1))[0]!.applied).toMatchObject({
        status: "applied",
        to: 80,
      });

      expect(await store.rules.budgetBase(ws.id, "meta", "Brand", "2026-03-01")).toBeNull();
      expect(await store.rules.initBudgetBase(ws.id, "meta", "Brand", "2026-03-01", 100)).toBe(100);
      expect(await store.rules.initBudgetBase(ws.id, "meta", "Brand", "2026-03-01", 80)).toBe(100);
      expect(await store.rules.budgetBase(ws.id, "meta", "Brand", "2026-03-01")).toBe(100);
    });
  });
});
