/**
 * The storage contract: one suite, run unchanged against every backend — a real SQLite file
 * and a real PostgreSQL schema. Whatever one backend does (dedup rules, identity graph,
 * attribution, rollups, outbox leases, erasure), the other must do the same.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommitOutcome, EventSource, Identifier, NormalizedEvent, TouchInput } from "../domain/event.js";
import { newId } from "../domain/ids.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { emptyHistogram, record } from "../monitoring/histogram.js";
import { createTestSchema, postgresAvailable } from "../../test/postgres/pg-test-db.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { CommitItem, DeliveryJob, DestinationRecord, Store, StoredEvent } from "./storage.js";
import { SQLITE_WRITER_ENTRY, commitCore } from "../open-store.js";
import { normalizedEvent, type EventOverrides } from "../../test/helpers/events.js";
import { webhookDestination, webhookRecord } from "../../test/helpers/stores.js";

/** The event of a claimed outbox row of kind `event` (every row these tests claim). */
function eventOf(j: DeliveryJob): StoredEvent {
  if (j.kind !== "event") throw new Error(`expected an event delivery, got ${j.kind}`);
  return j.event;
}

const WINDOW = 7 * DAY_MS;

interface Backend {
  store: Store;
  cleanup(): Promise<void>;
}

async function makeSqlite(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "tally-contract-"));
  const store = new SqliteStore({
    path: join(dir, "tally.db"),
    synchronous: "normal",
    dedupWindowMs: WINDOW,
    maxGroupWeight: 5000,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function makePg(): Promise<Backend> {
  const schema = await createTestSchema({ pool_max: "4" });
  const store = new PostgresStore({
    url: schema.url,
    dedupWindowMs: WINDOW,
    maxGroupWeight: 1000,
    core: commitCore,
  });
  await store.init();
  return {
    store,
    async cleanup() {
      await store.close();
      await schema.drop();
    },
  };
}

const pgUp = await postgresAvailable("the PostgreSQL half of the storage contract");

// ---- literals -----------------------------------------------------------------------------

const NOW = Date.now();

const event = (ws: string, o: EventOverrides = {}): NormalizedEvent => normalizedEvent(ws, NOW, o);

const item = (ev: NormalizedEvent, source: EventSource = "server"): CommitItem => ({
  event: ev,
  windows: ev.isConversion ? { clickWindowDays: 30, viewWindowDays: 1 } : null,
  source,
});

function touch(o: Partial<TouchInput> & { ids?: [Identifier["kind"], string][] } = {}): TouchInput {
  const { ids, ...rest } = o;
  return {
    kind: "click",
    time: NOW - HOUR_MS,
    platform: "google",
    campaign: "spring",
    ad: null,
    touchId: null,
    clickId: null,
    identifiers: (ids ?? []).map(([kind, value]) => ({ kind, value })),
    ...rest,
  };
}

const statuses = (o: CommitOutcome[]) => o.map((x) => x.status);
let wsSeq = 0;

describe.each([
  ["sqlite", makeSqlite, false],
  ["postgres", makePg, !pgUp],
] as const)("Store contract: %s", (_name, make, skip) => {
  describe.skipIf(skip)("", () => {
    let b: Backend;
    let store: Store;
    beforeAll(async () => {
      b = await make();
      store = b.store;
    });
    afterAll(async () => {
      await b?.cleanup();
    });

    async function workspace(currency = "USD") {
      const n = ++wsSeq;
      return store.createWorkspace(
        { name: `Shop ${n}`, currency, timezone: "UTC" },
        { publicKey: `pk_${n}_${newId("k")}`, secretKeyHash: newId("h") },
        standardActions(),
      );
    }
    const commit = (...items: CommitItem[]) => store.commitEvents(items, []);
    /** A webhook destination of workspace `ws` taking every event; `o` changes any field. */
    const webhook = (ws: string, o: Partial<DestinationRecord> = {}) =>
      webhookDestination(store, ws, { createdAt: NOW, ...o });

    describe("workspaces and keys", () => {
      it("finds a workspace by id, public key and secret key hash, and nothing for unknown keys", async () => {
        const secretKeyHash = "a".repeat(64);
        const ws = await store.createWorkspace(
          { name: "Keys", currency: "EUR", timezone: "Europe/Paris" },
          { publicKey: "pk_keys_1", secretKeyHash },
          standardActions(),
        );
        expect(ws).toMatchObject({
          name: "Keys",
          currency: "EUR",
          timezone: "Europe/Paris",
          publicKey: "pk_keys_1",
          allowedOrigins: [],
          consentDefault: "denied",
          defaultCountry: null,
        });
        expect(await store.getWorkspace(ws.id)).toEqual(ws);
        expect(await store.findWorkspaceByPublicKey("pk_keys_1")).toEqual(ws);
        expect(await store.findWorkspaceBySecretHash(secretKeyHash)).toEqual({
          workspace: ws,
          secretKeyHash,
        });
        expect(await store.findWorkspaceByPublicKey("pk_nope")).toBeNull();
        expect(await store.findWorkspaceBySecretHash("b".repeat(64))).toBeNull();
        expect(await store.getWorkspace("ws_nope")).toBeNull();
        expect((await store.listWorkspaces()).map((w) => w.id)).toContain(ws.id);
      });

      it("updates settings and leaves the rest alone", async () => {
        const ws = await workspace();
        const up = await store.updateWorkspace(ws.id, {
          allowedOrigins: ["https://shop.example"],
          consentDefault: "granted",
          defaultCountry: "FR",
        });
        expect(up).toMatchObject({
          name: ws.name,
          currency: "USD",
          allowedOrigins: ["https://shop.example"],
          consentDefault: "granted",
          defaultCountry: "FR",
        });
        expect(await store.getWorkspace(ws.id)).toEqual(up);
        expect(await store.updateWorkspace("ws_nope", { name: "x" })).toBeNull();
      });

      it("finds a workspace by its current keys and by rotated-out ones until their grace ends", async () => {
        const ws = await workspace();
        expect(await store.findWorkspaceByKey("public", ws.publicKey, NOW)).toEqual({
          workspace: ws,
          stored: ws.publicKey,
          expiresAt: null,
        });
        const sk1 = "1".repeat(64);
        const sk2 = "2".repeat(64);
        const sk3 = "3".repeat(64);
        // The helper's secret hash is an id; rotate it to a known one first (no grace).
        await store.rotateWorkspaceKey(ws.id, "secret", sk1, NOW, NOW);
        expect(await store.findWorkspaceByKey("secret", sk1, NOW)).toMatchObject({
          stored: sk1,
          expiresAt: null,
        });

        const rotated = await store.rotateWorkspaceKey(ws.id, "secret", sk2, NOW + 60_000, NOW);
        expect(rotated).toEqual(ws);
        expect(await store.findWorkspaceByKey("secret", sk2, NOW)).toMatchObject({
          workspace: { id: ws.id },
          stored: sk2,
          expiresAt: null,
        });
        expect(await store.findWorkspaceByKey("secret", sk1, NOW + 59_999)).toMatchObject({
          workspace: { id: ws.id },
          stored: sk1,
          expiresAt: NOW + 60_000,
        });
        expect(await store.findWorkspaceByKey("secret", sk1, NOW + 60_000)).toBeNull();
        // The other kind is untouched; a secret hash is no public key.
        expect(await store.findWorkspaceByKey("public", ws.publicKey, NOW)).toMatchObject({
          expiresAt: null,
        });
        expect(await store.findWorkspaceByKey("public", sk2, NOW)).toBeNull();
        expect(await store.findWorkspaceBySecretHash(sk2)).toMatchObject({ secretKeyHash: sk2 });

        // A later rotation never extends an earlier grace, and cuts it to its own.
        await store.rotateWorkspaceKey(ws.id, "secret", sk3, NOW + 10_000, NOW);
        expect(await store.findWorkspaceByKey("secret", sk1, NOW + 10_000)).toBeNull();
        expect(await store.findWorkspaceByKey("secret", sk1, NOW + 9_999)).toMatchObject({
          expiresAt: NOW + 10_000,
        });
        expect(await store.findWorkspaceByKey("secret", sk2, NOW + 9_999)).toMatchObject({
          expiresAt: NOW + 10_000,
        });
        // Grace 0: the old key is gone at once.
        const pub2 = `pk_rotated_${newId("k")}`;
        await store.rotateWorkspaceKey(ws.id, "public", pub2, NOW, NOW);
        expect(await store.findWorkspaceByKey("public", ws.publicKey, NOW)).toBeNull();
        expect((await store.findWorkspaceByKey("public", pub2, NOW))!.workspace.publicKey).toBe(pub2);
        expect(await store.findWorkspaceByPublicKey(pub2)).toMatchObject({ id: ws.id, publicKey: pub2 });
        expect(await store.rotateWorkspaceKey("ws_nope", "public", "pk_x", NOW, NOW)).toBeNull();
      });
    });

    describe("conversion actions", () => {
      it("lists the standard actions in order, updates one in place and adds a new one", async () => {
        const ws = await workspace();
        const names = (await store.listConversionActions(ws.id)).map((a) => a.name);
        expect(names).toEqual(standardActions().map((a) => a.name));
        await store.upsertConversionAction(ws.id, {
          name: "Lead",
          required: ["email"],
          clickWindowDays: 7,
          viewWindowDays: 0,
        });
        await store.upsertConversionAction(ws.id, {
          name: "Demo_Booked",
          required: [],
          clickWindowDays: 14,
          viewWindowDays: 1,
        });
        const after = await store.listConversionActions(ws.id);
        // Both backends order by created_at, and the standard actions take now + i: an action
        // added within those milliseconds may sort among them, so only its presence is checked.
        expect(after.map((a) => a.name).filter((n) => n !== "Demo_Booked")).toEqual(names);
        expect(after.map((a) => a.name)).toContain("Demo_Booked");
        expect(after.find((a) => a.name === "Lead")).toEqual({
          name: "Lead",
          required: ["email"],
          clickWindowDays: 7,
          viewWindowDays: 0,
        });
        expect(after.find((a) => a.name === "Purchase")?.required).toEqual(["value", "currency"]);
      });
    });

    describe("commitEvents: dedup", () => {
      it("accepts a new event and answers a later copy of its event_id with the original's id", async () => {
        const ws = await workspace();
        const first = event(ws.id, { eventId: "order-1" });
        const [a] = await commit(item(first));
        expect(a).toMatchObject({ status: "accepted", id: first.id });
        const [d] = await commit(item(event(ws.id, { eventId: "order-1" })));
        expect(d).toEqual({ status: "duplicate", id: first.id });
        // another event name with the same id is a different event
        const [other] = await commit(item(event(ws.id, { eventId: "order-1", eventName: "Lead" })));
        expect(other!.status).toBe("accepted");
      });

      it.each([
        ["both without event_id", [null, "o1"], [null, "o1"], "duplicate"],
        ["first with event_id, second without", ["e1", "o1"], [null, "o1"], "duplicate"],
        ["first without event_id, second with", [null, "o1"], ["e1", "o1"], "duplicate"],
        ["two different event_ids are never duplicates", ["e1", "o1"], ["e2", "o1"], "accepted"],
        ["same event_id, different order ids", ["e1", "o1"], ["e1", "o2"], "duplicate"],
        ["different order ids, no event ids", [null, "o1"], [null, "o2"], "accepted"],
      ] as const)("order_id rules: %s", async (_label, [e1, o1], [e2, o2], expected) => {
        const ws = await workspace();
        const first = event(ws.id, { eventId: e1, orderId: o1 });
        await commit(item(first));
        const [second] = await commit(item(event(ws.id, { eventId: e2, orderId: o2 })));
        expect(second!.status).toBe(expected);
        if (expected === "duplicate") expect(second!.id).toBe(first.id);
      });

      it("an order id claimed with an event_id still catches a later copy without one after a different event_id used it", async () => {
        const ws = await workspace();
        const a = event(ws.id, { eventId: "e1", orderId: "o9" });
        await commit(item(a));
        expect((await commit(item(event(ws.id, { eventId: "e2", orderId: "o9" }))))[0]!.status).toBe(
          "accepted",
        );
        expect(await commit(item(event(ws.id, { orderId: "o9" })))).toEqual([
          { status: "duplicate", id: a.id },
        ]);
      });

      it("dedups within one call and across calls of one group", async () => {
        const ws = await workspace();
        const a = event(ws.id, { eventId: "same" });
        const out = await commit(
          item(a),
          item(event(ws.id, { eventId: "same" })),
          item(event(ws.id, { orderId: "x" })),
          item(event(ws.id, { orderId: "x" })),
        );
        expect(statuses(out)).toEqual(["accepted", "duplicate", "accepted", "duplicate"]);
        expect(out[1]!.id).toBe(a.id);
        const racing = await Promise.all(
          [1, 2, 3, 4].map(() => commit(item(event(ws.id, { eventId: "race" })))),
        );
        expect(racing.flat().filter((o) => o.status === "accepted")).toHaveLength(1);
      });

      it("one failing call does not sink the others committed with it", async () => {
        const ws = await workspace();
        const taken = event(ws.id, { eventId: "first" });
        await commit(item(taken));
        const clash = event(ws.id, { eventId: "clash", id: taken.id }); // same primary key: the insert fails
        const ok1 = event(ws.id, { eventId: "ok-1", ids: [["anonymous_id", "sink-1"]] });
        const ok2 = event(ws.id, { eventId: "ok-2" });
        const [r1, r2, r3] = await Promise.allSettled([
          commit(item(ok1)),
          commit(item(clash)),
          commit(item(ok2)),
        ]);
        expect(r1).toMatchObject({ status: "fulfilled", value: [{ status: "accepted", id: ok1.id }] });
        expect(r2.status).toBe("rejected");
        expect(r3).toMatchObject({ status: "fulfilled", value: [{ status: "accepted", id: ok2.id }] });
        // the failed call left nothing behind: its event_id is still free
        const again = event(ws.id, { eventId: "clash" });
        expect((await commit(item(again)))[0]).toMatchObject({ status: "accepted", id: again.id });
        const ids = (
          await store.listConversions(ws.id, {
            from: null,
            to: null,
            limit: 10,
            after: null,
            model: "last_click",
          })
        ).map((c) => c.id);
        expect(ids.sort()).toEqual([taken.id, ok1.id, ok2.id, again.id].sort());
      });

      it("forgets a key once the dedup window has passed", async () => {
        const ws = await workspace();
        const t0 = NOW - WINDOW - HOUR_MS;
        const old = event(ws.id, { eventId: "late", receivedAt: t0, eventTime: t0 - MINUTE_MS });
        await commit(item(old));
        const [inside] = await commit(
          item(event(ws.id, { eventId: "late", receivedAt: t0 + WINDOW - 1, eventTime: t0 })),
        );
        expect(inside).toEqual({ status: "duplicate", id: old.id });
        const fresh = event(ws.id, { eventId: "late" });
        expect((await commit(item(fresh)))[0]).toMatchObject({ status: "accepted", id: fresh.id });
        expect((await commit(item(event(ws.id, { eventId: "late" }))))[0]).toEqual({
          status: "duplicate",
          id: fresh.id,
        });
      });

      it("keeps test events in their own namespace", async () => {
        const ws = await workspace();
        const real = event(ws.id, { eventId: "t-1" });
        await commit(item(real));
        const test = event(ws.id, { eventId: "t-1", testEventCode: "TEST42" });
        const [t] = await commit(item(test));
        expect(t).toEqual({ status: "accepted", id: test.id }); // no attribution for test events
        expect((await commit(item(event(ws.id, { eventId: "t-1", testEventCode: "TEST42" }))))[0]).toEqual({
          status: "duplicate",
          id: test.id,
        });
        const list = await store.listConversions(ws.id, {
          from: null,
          to: null,
          limit: 10,
          after: null,
          model: "last_click",
        });
        expect(list.map((c) => c.id)).toEqual([real.id]);
      });
    });

    describe("identity and attribution", () => {
      it("links identifiers transitively and attributes through any of them", async () => {
        const ws = await workspace();
        await store.commitTouches(
          ws.id,
          [
            touch({
              clickId: "gclid:G1",
              ids: [
                ["gclid", "G1"],
                ["anonymous_id", "anon-1"],
              ],
            }),
          ],
          NOW,
          [],
        );
        await commit(
          item(
            event(ws.id, {
              eventName: "PageView",
              isConversion: false,
              ids: [
                ["anonymous_id", "anon-1"],
                ["email", "e".repeat(64)],
              ],
            }),
          ),
        );
        await commit(
          item(
            event(ws.id, {
              eventName: "PageView",
              isConversion: false,
              ids: [
                ["email", "e".repeat(64)],
                ["external_id", "crm-1"],
              ],
            }),
          ),
        );
        const [conv] = await commit(item(event(ws.id, { ids: [["external_id", "crm-1"]] })));
        expect(conv!.attribution!.last_click).toEqual([
          { platform: "google", campaign: "spring", ad: null, time: NOW - HOUR_MS, credit: 1 },
        ]);
      });

      it("merges two known people into one, keeping every touch of both", async () => {
        const ws = await workspace();
        await store.commitTouches(
          ws.id,
          [touch({ platform: "meta", time: NOW - 3 * HOUR_MS, ids: [["anonymous_id", "a1"]] })],
          NOW,
          [],
        );
        await store.commitTouches(
          ws.id,
          [touch({ platform: "google", time: NOW - 2 * HOUR_MS, ids: [["anonymous_id", "a2"]] })],
          NOW,
          [],
        );
        await store.commitTouches(
          ws.id,
          [
            touch({
              platform: "tiktok",
              time: NOW - 2 * HOUR_MS - 1,
              ids: [
                ["anonymous_id", "a2"],
                ["external_id", "x2"],
              ],
            }),
          ],
          NOW,
          [],
        );
        const [conv] = await commit(
          item(
            event(ws.id, {
              ids: [
                ["anonymous_id", "a1"],
                ["anonymous_id", "a2"],
              ],
            }),
          ),
        );
        expect(conv!.attribution!.linear.map((c) => c.platform)).toEqual(["meta", "tiktok", "google"]);
        const [later] = await commit(item(event(ws.id, { ids: [["external_id", "x2"]], eventId: "later" })));
        expect(later!.attribution!.first_click.map((c) => c.platform)).toEqual(["meta"]);
      });

      it("attributes a conversion to a PageView's click earlier in the same call", async () => {
        const ws = await workspace();
        const pv = event(ws.id, {
          eventName: "PageView",
          isConversion: false,
          eventTime: NOW - 2 * MINUTE_MS,
          ids: [
            ["fbclid", "F1"],
            ["anonymous_id", "v1"],
          ],
          touch: touch({
            platform: "meta",
            time: NOW - 2 * MINUTE_MS,
            clickId: "fbclid:F1",
            ids: [
              ["fbclid", "F1"],
              ["anonymous_id", "v1"],
            ],
          }),
        });
        const out = await commit(item(pv), item(event(ws.id, { ids: [["anonymous_id", "v1"]] })));
        expect(out[1]!.attribution!.last_click.map((c) => c.platform)).toEqual(["meta"]);
      });

      it("never links or attributes test events", async () => {
        const ws = await workspace();
        await store.commitTouches(ws.id, [touch({ ids: [["anonymous_id", "t1"]] })], NOW, []);
        const [t] = await commit(item(event(ws.id, { testEventCode: "T", ids: [["anonymous_id", "t1"]] })));
        expect(t!.attribution).toBeUndefined();
      });
    });

    describe("touches", () => {
      it("records a touch_id once and a click id once, adopting a click recorded before its visitor was known", async () => {
        const ws = await workspace();
        const [a, b] = await store.commitTouches(
          ws.id,
          [touch({ touchId: "imp-1", kind: "impression" }), touch({ touchId: "imp-1", kind: "impression" })],
          NOW,
          [],
        );
        expect([a!.status, b!.status]).toEqual(["accepted", "duplicate"]);
        expect(b!.id).toBe(a!.id);

        const [c] = await store.commitTouches(
          ws.id,
          [touch({ clickId: "click_id:tc.1", platform: "linkedin" })],
          NOW,
          [],
        );
        expect(c!.status).toBe("accepted");
        const landing = event(ws.id, {
          eventName: "PageView",
          isConversion: false,
          ids: [
            ["click_id", "tc.1"],
            ["anonymous_id", "visitor"],
          ],
          touch: touch({
            clickId: "click_id:tc.1",
            platform: "linkedin",
            ids: [
              ["click_id", "tc.1"],
              ["anonymous_id", "visitor"],
            ],
          }),
        });
        await commit(item(landing));
        const [again] = await store.commitTouches(ws.id, [touch({ clickId: "click_id:tc.1" })], NOW, []);
        expect(again).toEqual({ status: "duplicate", id: c!.id });
        const [conv] = await commit(item(event(ws.id, { ids: [["anonymous_id", "visitor"]] })));
        expect(conv!.attribution!.last_click.map((x) => x.platform)).toEqual(["linkedin"]);
      });
    });

    describe("reads", () => {
      it.each([
        ["made from its received_at", 0],
        ["made 40 days before it was received", 40 * DAY_MS],
      ])("finds a conversion's ledger when its id is %s", async (_name, offset) => {
        const ws = await workspace();
        const ev = { ...event(ws.id, { value: 12 }), id: newId("evt", NOW - offset) };
        await commit(item(ev));
        expect(await store.monitoring.conversionLedger(ws.id, ev.id)).toMatchObject({
          id: ev.id,
          value: 12,
          receivedAt: NOW,
        });
      });

      it("lists conversions newest first and pages with the cursor, conversions only", async () => {
        const ws = await workspace();
        const evs = [5, 4, 4, 3, 2, 1].map((m) => event(ws.id, { eventTime: NOW - m * MINUTE_MS }));
        await commit(...evs.map((e) => item(e)));
        await commit(item(event(ws.id, { eventName: "PageView", isConversion: false })));
        const expected = [...evs]
          .sort((x, y) => y.eventTime - x.eventTime || (x.id < y.id ? 1 : -1))
          .map((e) => e.id);
        const seen: string[] = [];
        let after: { eventTime: number; id: string } | null = null;
        for (;;) {
          const page = await store.listConversions(ws.id, {
            from: null,
            to: null,
            limit: 4,
            after,
            model: "last_click",
          });
          seen.push(...page.map((r) => r.id));
          if (page.length < 4) break;
          const last = page[page.length - 1]!;
          after = { eventTime: last.eventTime, id: last.id };
        }
        expect(seen).toEqual(expected);
        const ranged = await store.listConversions(ws.id, {
          from: NOW - 4 * MINUTE_MS,
          to: NOW - 2 * MINUTE_MS,
          limit: 10,
          after: null,
          model: "last_click",
        });
        expect(ranged.map((r) => r.eventTime)).toEqual([
          NOW - 3 * MINUTE_MS,
          NOW - 4 * MINUTE_MS,
          NOW - 4 * MINUTE_MS,
        ]);
        expect(ranged[0]).toMatchObject({
          eventName: "Purchase",
          value: 10,
          currency: "USD",
          receivedAt: NOW,
          touches: [],
        });
      });

      it("reports credit per key, the unattributed and other currencies apart", async () => {
        const ws = await workspace("USD");
        await store.commitTouches(
          ws.id,
          [
            touch({
              platform: "google",
              campaign: "c1",
              time: NOW - 2 * HOUR_MS,
              ids: [["anonymous_id", "r1"]],
            }),
          ],
          NOW,
          [],
        );
        await store.commitTouches(
          ws.id,
          [touch({ platform: "meta", campaign: "c2", time: NOW - HOUR_MS, ids: [["anonymous_id", "r1"]] })],
          NOW,
          [],
        );
        await commit(
          item(event(ws.id, { value: 100, ids: [["anonymous_id", "r1"]] })),
          item(event(ws.id, { value: 7, ids: [["anonymous_id", "nobody"]] })),
          item(event(ws.id, { value: 50, currency: "EUR", ids: [["anonymous_id", "r1"]] })),
        );
        const last = await store.attributionReport(ws.id, {
          from: null,
          to: null,
          model: "last_click",
          groupBy: "platform",
          currency: "USD",
        });
        expect(last.rows).toEqual([{ key: "meta", conversions: 2, value: 100 }]);
        expect(last.unattributed).toEqual({ conversions: 1, value: 7 });
        expect(last.otherCurrencies).toEqual({ EUR: { conversions: 1, value: 50 } });
        const linear = await store.attributionReport(ws.id, {
          from: null,
          to: null,
          model: "linear",
          groupBy: "campaign",
          currency: "USD",
        });
        expect(linear.rows).toEqual([
          { key: "c1", conversions: 1, value: 50 },
          { key: "c2", conversions: 1, value: 50 },
        ]);
        const none = await store.attributionReport(ws.id, {
          from: NOW,
          to: NOW + 1,
          model: "last_click",
          groupBy: "ad",
          currency: "USD",
        });
        expect(none).toEqual({ rows: [], unattributed: { conversions: 0, value: 0 }, otherCurrencies: {} });
      });

      it("adds rollups up per minute, hour and day, latency histograms included", async () => {
        const ws = await workspace();
        const m0 = NOW - (NOW % HOUR_MS) - 2 * HOUR_MS + 5 * MINUTE_MS; // two hours ago, a whole minute
        const at = (m: number) => m0 + m * MINUTE_MS + 1000;
        await store.commitEvents(
          [item(event(ws.id, { receivedAt: at(0), eventId: "r1", value: 5 }))],
          [{ workspaceId: ws.id, minute: m0, received: 2, rejected: 1 }],
        );
        await store.commitEvents([item(event(ws.id, { receivedAt: at(0), eventId: "r1" }))], []);
        await store.commitEvents(
          [
            item(event(ws.id, { receivedAt: at(1), value: 2.5 })),
            item(event(ws.id, { receivedAt: at(1), eventName: "PageView", isConversion: false })),
          ],
          [],
        );
        await store.commitTouches(ws.id, [touch(), touch({ kind: "impression" })], at(1), []);
        const h = emptyHistogram();
        record(h, 40);
        record(h, 40);
        await store.addRollups([{ workspaceId: ws.id, minute: m0, latency: h, pipeline: h }]);
        await store.addRollups([{ workspaceId: ws.id, minute: m0, latency: h }]);
        const minutes = await store.metrics(ws.id, m0, m0 + 2 * MINUTE_MS, "minute");
        expect(minutes.map(({ latency: _l, pipeline: _p, ...r }) => r)).toEqual([
          {
            start: m0,
            received: 2,
            accepted: 1,
            conversions: 1,
            value: 5,
            duplicates: 1,
            rejected: 1,
            clicks: 0,
            impressions: 0,
            flagged: 0,
            flagged_value: 0,
            flagged_clicks: 0,
          },
          {
            start: m0 + MINUTE_MS,
            received: 0,
            accepted: 2,
            conversions: 1,
            value: 2.5,
            duplicates: 0,
            rejected: 0,
            clicks: 1,
            impressions: 1,
            flagged: 0,
            flagged_value: 0,
            flagged_clicks: 0,
          },
        ]);
        expect(minutes[0]!.latency.reduce((a, x) => a + x, 0)).toBe(4);
        expect(minutes[0]!.pipeline.reduce((a, x) => a + x, 0)).toBe(2);
        const [hour] = await store.metrics(ws.id, m0 - (m0 % HOUR_MS), m0 - (m0 % HOUR_MS) + HOUR_MS, "hour");
        expect(hour).toMatchObject({
          received: 2,
          accepted: 3,
          conversions: 2,
          value: 7.5,
          duplicates: 1,
          clicks: 1,
          impressions: 1,
        });
        expect(hour!.latency.reduce((a, x) => a + x, 0)).toBe(4);
        const day = await store.metrics(ws.id, m0 - (m0 % DAY_MS), m0 - (m0 % DAY_MS) + DAY_MS, "day");
        expect(day[0]!.accepted).toBe(3);
      });
    });

    describe("destinations and the outbox", () => {
      it.each([
        ["made from its received_at", 0],
        ["made 40 days before it was received", 40 * DAY_MS],
      ])("claims a delivery with its event when the event's id is %s", async (_name, offset) => {
        const ws = await workspace();
        const d = await webhook(ws.id);
        // On PostgreSQL the claim reads an event in the partition its id names; an id made 40
        // days before its event was received (none that Tally makes) is found by id alone.
        const ev = { ...event(ws.id, { eventId: "by-id", value: 3 }), id: newId("evt", NOW - offset) };
        await commit(item(ev));
        const jobs = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 1, 60_000, "W");
        expect(
          jobs.map((j) => [eventOf(j).id, eventOf(j).eventId, eventOf(j).value, eventOf(j).receivedAt]),
        ).toEqual([[ev.id, "by-id", 3, NOW]]);
      });

      it("claims an adjustment of a conversion received months ago beside this month's events, each with its event", async () => {
        const ws = await workspace();
        const d = await webhook(ws.id);
        // On PostgreSQL the claimed events are read month by month: the old conversion's month
        // and this one's, each in its own partition.
        const then = NOW - 90 * DAY_MS;
        const old = {
          ...event(ws.id, { value: 20, eventTime: then, receivedAt: then }),
          id: newId("evt", then),
        };
        await commit(item(old));
        const [first] = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW, 60_000, "W");
        await store.completeDeliveries(
          ws.id,
          [
            {
              id: first!.id,
              status: "delivered",
              attempts: 1,
              lastStatusCode: 200,
              lastError: null,
              nextAttemptAt: null,
              deliveredAt: NOW,
              dedupId: old.id,
            },
          ],
          "W",
        );
        const [adjusted] = await store.reconciliation.adjust(
          [
            {
              workspaceId: ws.id,
              conversionId: old.id,
              orderId: null,
              eventName: null,
              type: "restate",
              value: 25,
              currency: null,
              at: NOW,
              source: "api",
            },
          ],
          NOW,
        );
        expect(adjusted).toMatchObject({ status: "applied" });
        const fresh = await commit(
          ...[1, 2].map((i) => item(event(ws.id, { eventId: `now-${i}`, value: i }))),
        );
        const jobs = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 1, 60_000, "W");
        expect(
          jobs
            .map((j) => [
              j.kind,
              j.kind === "signal" ? null : j.event?.id,
              j.kind === "signal" ? null : j.event?.value,
            ])
            .sort(),
        ).toEqual(
          [
            ["adjustment", old.id, 25],
            ["event", fresh[0]!.id, 1],
            ["event", fresh[1]!.id, 2],
          ].sort(),
        );
      });

      it("claims under a lease, lets an expired lease be reclaimed, and settles only for the holder", async () => {
        const ws = await workspace();
        const d = await webhook(ws.id, { events: ["Purchase"] });
        expect(await store.listDestinations(ws.id)).toEqual([d]);
        expect(await store.getDestination(ws.id, d.id)).toEqual(d);
        const evs = [1, 2, 3].map((i) => event(ws.id, { eventId: `dl-${i}`, orderId: `o-${i}` }));
        await commit(...evs.map((e) => item(e)));

        const t = NOW + 1000;
        const [a, b] = await Promise.all([
          store.claimDeliveries(d.workspaceId, d.id, 2, t, 60_000, "A"),
          store.claimDeliveries(d.workspaceId, d.id, 2, t, 60_000, "B"),
        ]);
        expect(a.length + b.length).toBe(3); // never the same delivery twice
        expect(new Set([...a, ...b].map((j) => j.id)).size).toBe(3);
        expect(await store.claimDeliveries(d.workspaceId, d.id, 10, t + 1, 60_000, "C")).toEqual([]);
        const job = [...a, ...b].find((j) => eventOf(j).id === evs[0]!.id)!;
        expect(eventOf(job)).toMatchObject({
          eventId: "dl-1",
          orderId: "o-1",
          eventName: "Purchase",
          value: 10,
          workspaceId: ws.id,
        });

        // the holders crash; after the lease C takes them all
        const reclaimed = await store.claimDeliveries(d.workspaceId, d.id, 10, t + 60_000, 60_000, "C");
        expect(reclaimed).toHaveLength(3);
        const settle = (j: { id: string }, status: "delivered" | "dead") => ({
          id: j.id,
          status,
          attempts: 1,
          lastStatusCode: status === "delivered" ? 200 : 500,
          lastError: status === "dead" ? "boom" : null,
          nextAttemptAt: null,
          deliveredAt: status === "delivered" ? t + 61_000 : null,
          dedupId: "dl-x",
        });
        await store.completeDeliveries(ws.id, [settle(job, "delivered")], "A"); // stale holder: ignored
        expect(await store.listDeliveries(ws.id, d.id, "delivered", 10)).toEqual([]);
        await store.completeDeliveries(
          ws.id,
          reclaimed.map((j, i) => settle(j, i === 0 ? "delivered" : "dead")),
          "C",
        );
        const delivered = await store.listDeliveries(ws.id, d.id, "delivered", 10);
        expect(delivered).toHaveLength(1);
        expect(delivered[0]).toMatchObject({
          status: "delivered",
          attempts: 1,
          lastStatusCode: 200,
          eventId: "dl-x",
          deliveredAt: t + 61_000,
        });
        expect(await store.listDeliveries(ws.id, d.id, null, 10)).toHaveLength(3);

        expect(await store.replayDead(ws.id, d.id, t + 62_000)).toBe(2);
        const again = await store.claimDeliveries(d.workspaceId, d.id, 10, t + 62_000, 60_000, "D");
        expect(again.map((j) => j.attempts)).toEqual([0, 0]);
        const stats = await store.deliveryStats(ws.id, 0);
        expect(stats.find((s) => s.status === "delivered")).toMatchObject({
          destinationId: d.id,
          count: 1,
          latencies: [t + 61_000 - NOW],
        });

        expect(await store.deleteDestination(ws.id, d.id)).toBe(true);
        expect(await store.deleteDestination(ws.id, d.id)).toBe(false);
        expect(await store.listDestinations(ws.id)).toEqual([]);
        expect(await store.listDeliveries(ws.id, d.id, "pending", 10)).toEqual([]);
      });

      it("creates destinations up to a limit per workspace: deleted ones free a place, racers get one each", async () => {
        const [ws, other] = [await workspace(), await workspace()];
        const dst = (workspaceId: string) => webhookRecord(workspaceId, { createdAt: NOW });
        const first = await store.createDestinationWithinLimit(dst(ws.id), 3);
        expect(first).not.toBeNull();
        expect(await store.getDestination(ws.id, first!.id)).toEqual(first);
        // Six racing for the two places left: exactly two win.
        const raced = await Promise.all(
          Array.from({ length: 6 }, () => store.createDestinationWithinLimit(dst(ws.id), 3)),
        );
        expect(raced.filter((r) => r !== null)).toHaveLength(2);
        expect(await store.listDestinations(ws.id)).toHaveLength(3);
        expect(await store.createDestinationWithinLimit(dst(ws.id), 3)).toBeNull();
        // Another workspace has its own count; a deleted destination no longer counts.
        expect(await store.createDestinationWithinLimit(dst(other.id), 3)).not.toBeNull();
        expect(await store.deleteDestination(ws.id, first!.id)).toBe(true);
        expect(await store.createDestinationWithinLimit(dst(ws.id), 3)).not.toBeNull();
        expect(await store.listDestinations(ws.id)).toHaveLength(3);
      });
    });

    describe("encryption key check", () => {
      it("keeps the first check value written and hands out sealed values to test a key on", async () => {
        expect(await store.getKeyCheck()).toBeNull();
        const ws = await workspace();
        await webhook(ws.id, { configEnc: "v1.sealed-config" });
        expect(await store.sealedSamples(1000)).toContain("v1.sealed-config");
        expect((await store.sealedSamples(1)).length).toBeLessThanOrEqual(1);
        // Two nodes starting together: the first value written stays, both read it back.
        const [a, b] = await Promise.all([
          store.initKeyCheck("v1.first", NOW),
          store.initKeyCheck("v1.second", NOW),
        ]);
        expect(a).toBe(b);
        expect(["v1.first", "v1.second"]).toContain(a);
        expect(await store.initKeyCheck("v1.third", NOW)).toBe(a);
        expect(await store.getKeyCheck()).toBe(a);
      });
    });

    describe("routing from the destinations in the database", () => {
      const dest = (ws: string, type: string, o: Partial<DestinationRecord> = {}) =>
        webhook(ws, { type, name: type, ...o });
      const pendingOf = async (ws: string, d: string) =>
        (await store.listDeliveries(ws, d, null, 100)).map((r) => r.id).sort();

      it("writes an outbox row for each destination the commit finds, by event name and test mode", async () => {
        const ws = await workspace();
        const hook = await dest(ws.id, "webhook");
        const leads = await dest(ws.id, "meta", { events: ["Lead"] });
        const google = await dest(ws.id, "google_ads", { routeEvents: ["Purchase"] });
        const gone = await dest(ws.id, "webhook");
        expect(await store.deleteDestination(ws.id, gone.id)).toBe(true);
        const purchase = event(ws.id);
        const lead = event(ws.id, { eventName: "Lead" });
        const test = event(ws.id, { eventName: "Lead", testEventCode: "T1" });
        const view = event(ws.id, { eventName: "PageView", isConversion: false });
        await commit(item(purchase), item(lead), item(test), item(view));
        expect(await pendingOf(ws.id, hook.id)).toEqual([purchase.id, lead.id].sort());
        expect(await pendingOf(ws.id, leads.id)).toEqual([lead.id, test.id].sort());
        expect(await pendingOf(ws.id, google.id)).toEqual([purchase.id]);
        expect(await pendingOf(ws.id, gone.id)).toEqual([]);

        // created now, between two commits: the next event is routed to it at once
        const late = await dest(ws.id, "webhook");
        const next = event(ws.id);
        await commit(item(next));
        expect(await pendingOf(ws.id, late.id)).toEqual([next.id]);
        // a stored route is what counts, not the cached one
        await store.setDestinationRoute(ws.id, late.id, ["Lead"]);
        expect((await store.getDestination(ws.id, late.id))!.routeEvents).toEqual(["Lead"]);
        await commit(item(event(ws.id)));
        expect(await pendingOf(ws.id, late.id)).toEqual([next.id]);
      });
    });

    describe("a server copy supersedes a browser copy", () => {
      type Arrival = { source: EventSource; value: number };
      const scenarios: { name: string; arrivals: Arrival[]; value: number; arrivalStatuses: string[] }[] = [
        {
          name: "browser then server: the server's value",
          arrivals: [
            { source: "browser", value: 1 },
            { source: "server", value: 99.99 },
          ],
          value: 99.99,
          arrivalStatuses: ["superseding"],
        },
        {
          name: "pixel then server: the server's value",
          arrivals: [
            { source: "pixel", value: 1 },
            { source: "server", value: 99.99 },
          ],
          value: 99.99,
          arrivalStatuses: ["superseding"],
        },
        {
          name: "server then browser: the server's value stays",
          arrivals: [
            { source: "server", value: 99.99 },
            { source: "browser", value: 1 },
          ],
          value: 99.99,
          arrivalStatuses: ["duplicate"],
        },
        {
          name: "server then server: the first stays",
          arrivals: [
            { source: "server", value: 99.99 },
            { source: "server", value: 5 },
          ],
          value: 99.99,
          arrivalStatuses: ["duplicate"],
        },
        {
          name: "browser, server, server: only the first server copy supersedes",
          arrivals: [
            { source: "browser", value: 1 },
            { source: "server", value: 99.99 },
            { source: "server", value: 5 },
          ],
          value: 99.99,
          arrivalStatuses: ["superseding", "duplicate"],
        },
        {
          name: "browser then browser: the first stays",
          arrivals: [
            { source: "browser", value: 1 },
            { source: "browser", value: 2 },
          ],
          value: 1,
          arrivalStatuses: ["duplicate"],
        },
      ];

      it.each(scenarios)("$name; counted once", async ({ arrivals, value, arrivalStatuses }) => {
        const ws = await workspace();
        const outcomes: CommitOutcome[] = [];
        for (const [i, a] of arrivals.entries())
          outcomes.push(
            ...(await commit(
              item(event(ws.id, { eventId: "order-1", value: a.value, receivedAt: NOW + i }), a.source),
            )),
          );
        const first = outcomes[0]!.id;
        expect(statuses(outcomes)).toEqual(["accepted", ...arrivals.slice(1).map(() => "duplicate")]);
        expect(outcomes.every((o) => o.id === first)).toBe(true);
        const convs = await store.listConversions(ws.id, {
          from: null,
          to: null,
          limit: 10,
          after: null,
          model: "last_click",
        });
        expect(convs.map((c) => [c.id, c.value])).toEqual([[first, value]]);
        const report = await store.attributionReport(ws.id, {
          from: null,
          to: null,
          model: "last_click",
          groupBy: "platform",
          currency: "USD",
        });
        expect(report.unattributed).toEqual({ conversions: 1, value });
        const m = await store.metrics(ws.id, NOW - HOUR_MS, NOW + HOUR_MS, "hour");
        expect(m.reduce((n, r) => n + r.conversions, 0)).toBe(1);
        expect(m.reduce((n, r) => n + r.value, 0)).toBeCloseTo(value, 6);
        expect(m.reduce((n, r) => n + r.duplicates, 0)).toBe(arrivals.length - 1);
        const ledger = await store.listArrivals(ws.id, first);
        expect(ledger.map((r) => r.status)).toEqual(arrivalStatuses);
        expect(ledger.map((r) => r.source)).toEqual(arrivals.slice(1).map((a) => a.source));
        expect(ledger.every((r) => r.eventId === "order-1" && r.eventRef === first)).toBe(true);
      });

      it("answers the update, keeps the shares with the new value, links the server's identifiers", async () => {
        const ws = await workspace();
        await store.commitTouches(
          ws.id,
          [touch({ platform: "meta", ids: [["anonymous_id", "sv1"]] })],
          NOW,
          [],
        );
        const browser = event(ws.id, {
          eventId: "order-2",
          value: 1,
          ids: [["anonymous_id", "sv1"]],
          user: { anonymous_id: "sv1" },
          customData: { coupon: "FORGED" },
        });
        const [b1] = await commit(item(browser, "browser"));
        expect(b1!.attribution!.last_click.map((c) => c.platform)).toEqual(["meta"]);
        const server = event(ws.id, {
          eventId: "order-2",
          orderId: "1002",
          value: 99.99,
          currency: "USD",
          receivedAt: NOW + 5,
          ids: [["email", "e".repeat(64)]],
          user: { em: "e".repeat(64) },
          customData: { order_id: "1002" },
        });
        const [s1] = await commit(item(server, "server"));
        expect(s1).toMatchObject({
          status: "duplicate",
          id: browser.id,
          superseded: {
            eventName: "Purchase",
            eventTime: browser.eventTime,
            receivedAt: NOW,
            eventId: "order-2",
            value: 99.99,
            currency: "USD",
            previousValue: 1,
            previousCurrency: "USD",
          },
        });
        expect(s1!.superseded!.attribution!.last_click).toEqual(b1!.attribution!.last_click);
        const meta = await store.attributionReport(ws.id, {
          from: null,
          to: null,
          model: "last_click",
          groupBy: "platform",
          currency: "USD",
        });
        expect(meta.rows).toEqual([{ key: "meta", conversions: 1, value: 99.99 }]);

        // the email the browser lacked now belongs to the person the touches were found through
        const later = await commit(item(event(ws.id, { ids: [["email", "e".repeat(64)]] })));
        expect(later[0]!.attribution!.last_click.map((c) => c.platform)).toEqual(["meta"]);

        // what a destination is sent: the server's copy, under the first copy's ids
        const d = await webhook(ws.id);
        await commit(item(event(ws.id, { eventId: "order-3", value: 1 }), "browser"));
        const [job] = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 10, 60_000, "W");
        await commit(item(event(ws.id, { eventId: "order-3", value: 42, orderId: "1003" }), "server"));
        // in flight while superseded: sent again after, once more
        await store.completeDeliveries(
          ws.id,
          [
            {
              id: job!.id,
              status: "delivered",
              attempts: 1,
              lastStatusCode: 200,
              lastError: null,
              nextAttemptAt: null,
              deliveredAt: NOW + 20,
              dedupId: "order-3",
            },
          ],
          "W",
        );
        const again = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 30, 60_000, "W");
        expect(
          again.map((j) => [eventOf(j).id, eventOf(j).value, eventOf(j).eventId, eventOf(j).orderId]),
        ).toEqual([[eventOf(job!).id, 42, "order-3", "1003"]]);
      });

      it("re-sends to a destination that delivered the browser copy; a waiting delivery just sends the current row", async () => {
        const ws = await workspace();
        const mk = (name: string) => webhook(ws.id, { name });
        const sent = await mk("sent");
        const waiting = await mk("waiting");
        const browser = event(ws.id, { eventId: "order-4", value: 1, user: { anonymous_id: "b4" } });
        await commit(item(browser, "browser"));
        const [job] = await store.claimDeliveries(sent.workspaceId, sent.id, 10, NOW + 1, 60_000, "W");
        await store.completeDeliveries(
          ws.id,
          [
            {
              id: job!.id,
              status: "delivered",
              attempts: 1,
              lastStatusCode: 200,
              lastError: null,
              nextAttemptAt: null,
              deliveredAt: NOW + 2,
              dedupId: "order-4",
            },
          ],
          "W",
        );
        await commit(
          item(
            event(ws.id, {
              eventId: "order-4",
              value: 99.99,
              receivedAt: NOW + 3,
              user: { external_id: "x4" },
            }),
            "server",
          ),
        );
        const rows = await store.listDeliveries(ws.id, sent.id, null, 10);
        expect(rows.map((r) => [r.id, r.status]).sort()).toEqual([
          [browser.id, "delivered"],
          [browser.id, "pending"],
        ]);
        expect(await store.listDeliveries(ws.id, waiting.id, null, 10)).toHaveLength(1);
        for (const d of [sent, waiting]) {
          const [j] = await store.claimDeliveries(d.workspaceId, d.id, 10, NOW + 4, 60_000, "W");
          expect(eventOf(j!)).toMatchObject({ id: browser.id, eventId: "order-4", value: 99.99 });
          expect(eventOf(j!).user).toEqual({ external_id: "x4" });
        }
      });

      it("supersedes a browser copy committed in the same group", async () => {
        const ws = await workspace();
        const browser = event(ws.id, { eventId: "order-5", value: 1 });
        const out = await commit(
          item(browser, "browser"),
          item(event(ws.id, { eventId: "order-5", value: 99.99 }), "server"),
        );
        expect(statuses(out)).toEqual(["accepted", "duplicate"]);
        expect(out[1]!.superseded?.value).toBe(99.99);
        const convs = await store.listConversions(ws.id, {
          from: null,
          to: null,
          limit: 10,
          after: null,
          model: "last_click",
        });
        expect(convs.map((c) => c.value)).toEqual([99.99]);
      });

      it("supersedes a test event in its own namespace, out of metrics", async () => {
        const ws = await workspace();
        const t = event(ws.id, { eventId: "order-6", value: 1, testEventCode: "T6" });
        await commit(item(t, "browser"));
        const [o] = await commit(
          item(event(ws.id, { eventId: "order-6", value: 7, testEventCode: "T6" }), "server"),
        );
        expect(o).toMatchObject({ status: "duplicate", id: t.id, superseded: { value: 7 } });
        const m = await store.metrics(ws.id, NOW - HOUR_MS, NOW + HOUR_MS, "hour");
        expect(m.reduce((n, r) => n + r.value + r.duplicates, 0)).toBe(0);
      });
    });

    describe("privacy and housekeeping", () => {
      it("erases every identifier linked to the person, and later conversions no longer find their touches", async () => {
        const ws = await workspace();
        await store.commitTouches(
          ws.id,
          [
            touch({
              ids: [
                ["anonymous_id", "er1"],
                ["email", "f".repeat(64)],
              ],
            }),
          ],
          NOW,
          [],
        );
        await commit(
          item(
            event(ws.id, {
              eventName: "PageView",
              isConversion: false,
              ids: [
                ["email", "f".repeat(64)],
                ["external_id", "er-x"],
              ],
            }),
          ),
        );
        expect(await store.erase(ws.id, [{ kind: "external_id", value: "er-x" }])).toBe(3);
        expect(await store.erase(ws.id, [{ kind: "external_id", value: "er-x" }])).toBe(0);
        const [conv] = await commit(item(event(ws.id, { ids: [["anonymous_id", "er1"]] })));
        expect(conv!.attribution!.last_click).toEqual([]);
        const report = await store.attributionReport(ws.id, {
          from: null,
          to: null,
          model: "last_click",
          groupBy: "platform",
          currency: "USD",
        });
        expect(report.unattributed.conversions).toBe(1);
      });

      it("erasure scrubs the person's events, touches and delivery errors, keeps value and credit, and logs it", async () => {
        const ws = await workspace();
        const dest = (name: string) => webhook(ws.id, { name });
        const failing = await dest("failing");
        const waiting = await dest("waiting");
        const anon = "er-anon-7c1d";
        const gclid = "G-erase-7c1d";
        await store.commitTouches(
          ws.id,
          [
            touch({
              clickId: `gclid:${gclid}`,
              ids: [
                ["gclid", gclid],
                ["anonymous_id", anon],
              ],
            }),
            touch({
              platform: "news",
              campaign: "may",
              touchId: `utm|${anon}|news|may||1`,
              time: NOW - 2 * HOUR_MS,
              ids: [["anonymous_id", anon]],
            }),
          ],
          NOW,
          [],
        );
        // Conversions, so that the outbox (routed from the database) hands their stored rows back.
        const landing = event(ws.id, {
          eventName: "Lead",
          eventSourceUrl: `https://s.example/in?gclid=${gclid}&utm_source=news&p=1`,
          customData: { utm_source: "news", ref: anon, keep: "yes" },
          user: { anonymous_id: anon, gclid, client_user_agent: "UA-erase-7c1d", client_ip_enc: "sealed-ip" },
          ids: [
            ["anonymous_id", anon],
            ["gclid", gclid],
          ],
        });
        const purchase = event(ws.id, {
          value: 42,
          user: { external_id: "er-ext-7c1d", anonymous_id: anon },
          ids: [
            ["external_id", "er-ext-7c1d"],
            ["anonymous_id", anon],
          ],
        });
        const bystander = event(ws.id, {
          eventName: "Lead",
          eventSourceUrl: "https://s.example/?gclid=OTHER-1&utm_source=x",
          user: { anonymous_id: "er-bystander" },
          ids: [["anonymous_id", "er-bystander"]],
        });
        const all = [landing, purchase, bystander];
        await commit(...all.map((e) => item(e))); // routed to both destinations from the database
        const credited = async () =>
          (
            await store.listConversions(ws.id, {
              from: null,
              to: null,
              limit: 10,
              after: null,
              model: "linear",
            })
          ).find((c) => c.id === purchase.id)!.touches;
        expect((await credited()).map((t) => t.platform).sort()).toEqual(["google", "news"]);
        const jobs = await store.claimDeliveries(failing.workspaceId, failing.id, 10, NOW + 1, 60_000, "A");
        await store.completeDeliveries(
          ws.id,
          jobs.map((j) => ({
            id: j.id,
            status: "failed" as const,
            attempts: 1,
            lastStatusCode: 400,
            // A platform echoing the request: the event's user agent, and someone's id.
            lastError: `400 {"ua":"${eventOf(j).user.client_user_agent ?? "-"}","user":"er-ext-7c1d"}`,
            nextAttemptAt: null,
            deliveredAt: null,
            dedupId: eventOf(j).id,
          })),
          "A",
        );

        expect(await store.erase(ws.id, [{ kind: "external_id", value: "er-ext-7c1d" }])).toBe(3);

        const events = new Map(
          (await store.claimDeliveries(waiting.workspaceId, waiting.id, 10, NOW + 1, 60_000, "B")).map(
            (j) => [eventOf(j).id, eventOf(j)],
          ),
        );
        expect(events.get(landing.id)).toMatchObject({
          eventName: "Lead",
          user: {},
          eventSourceUrl: "https://s.example/in?p=1",
          customData: { keep: "yes" },
        });
        expect(events.get(purchase.id)).toMatchObject({ eventName: "Purchase", value: 42, user: {} });
        expect(events.get(bystander.id)).toMatchObject({
          eventSourceUrl: "https://s.example/?gclid=OTHER-1&utm_source=x",
          user: { anonymous_id: "er-bystander" },
        });
        const errors = (await store.listDeliveries(ws.id, failing.id, "failed", 10)).map((d) => d.lastError);
        expect(errors).toHaveLength(3);
        expect(errors.join()).not.toMatch(/UA-erase|er-ext/);
        expect(errors.filter((e) => e?.startsWith("400 "))).toHaveLength(3);

        // Credit stays, also through a reattribution; the links are gone.
        expect((await credited()).map((t) => t.platform).sort()).toEqual(["google", "news"]);
        await store.reattribute(ws.id, NOW - DAY_MS, NOW + DAY_MS, () =>
          Promise.resolve({ clickWindowDays: 30, viewWindowDays: 1 }),
        );
        expect((await credited()).map((t) => t.platform).sort()).toEqual(["google", "news"]);
        // The touches' ids are gone too: the same click and utm visit record anew.
        const again = await store.commitTouches(
          ws.id,
          [
            touch({ clickId: `gclid:${gclid}`, ids: [] }),
            touch({ touchId: `utm|${anon}|news|may||1`, ids: [] }),
          ],
          NOW,
          [],
        );
        expect(again.map((o) => o.status)).toEqual(["accepted", "accepted"]);

        const log = await store.listErasures(ws.id, 10);
        expect(log).toEqual([
          { id: expect.stringMatching(/^era_/), erasedAt: expect.any(Number), identifiers: 3 },
        ]);
        expect(Math.abs(log[0]!.erasedAt - Date.now())).toBeLessThan(60_000);
        expect(await store.erase(ws.id, [{ kind: "anonymous_id", value: anon }])).toBe(0);
        expect((await store.listErasures(ws.id, 10)).map((e) => e.identifiers)).toEqual([0, 3]);
        expect(await store.listErasures(ws.id, 1)).toHaveLength(1);
        expect(await store.listErasures((await workspace()).id, 10)).toEqual([]);
      });

      it("purges expired dedup keys and sessions", async () => {
        const ws = await workspace();
        await commit(item(event(ws.id, { eventId: "p-1" })));
        await store.createSession({ idHash: "s-old", csrfToken: "c", expiresAt: NOW - 1 });
        await store.createSession({ idHash: "s-new", csrfToken: "c2", expiresAt: NOW + HOUR_MS });
        expect(await store.getSession("s-new", NOW)).toEqual({
          idHash: "s-new",
          csrfToken: "c2",
          expiresAt: NOW + HOUR_MS,
        });
        expect(await store.getSession("s-old", NOW)).toBeNull();
        await store.purge(NOW, NOW + 1, NOW + 1);
        expect((await commit(item(event(ws.id, { eventId: "p-1" }))))[0]!.status).toBe("accepted");
        expect(await store.getSession("s-old", NOW - 10)).toBeNull(); // gone, not just expired
        await store.deleteSession("s-new");
        expect(await store.getSession("s-new", NOW)).toBeNull();
      });

      it("keeps links and recomputes attribution on demand", async () => {
        const ws = await workspace();
        const link = {
          id: newId("lnk"),
          workspaceId: ws.id,
          destinationUrl: "https://shop.example/?a=1",
          platform: "newsletter",
          campaign: "may",
          ad: null,
          createdAt: NOW,
        };
        expect(await store.createLink(link)).toEqual(link);
        expect(await store.getLink(link.id)).toEqual(link);
        expect(await store.getLink("lnk_nope")).toBeNull();

        const conv = event(ws.id, { ids: [["anonymous_id", "late-click"]], eventTime: NOW - MINUTE_MS });
        await commit(item(conv));
        await store.commitTouches(
          ws.id,
          [touch({ platform: "newsletter", time: NOW - HOUR_MS, ids: [["anonymous_id", "late-click"]] })],
          NOW,
          [],
        );
        const n = await store.reattribute(ws.id, NOW - DAY_MS, NOW, () =>
          Promise.resolve({ clickWindowDays: 30, viewWindowDays: 1 }),
        );
        expect(n).toBe(1);
        const [row] = await store.listConversions(ws.id, {
          from: null,
          to: null,
          limit: 1,
          after: null,
          model: "last_click",
        });
        expect(row!.touches.map((x) => x.platform)).toEqual(["newsletter"]);
      });
    });
  });
});
