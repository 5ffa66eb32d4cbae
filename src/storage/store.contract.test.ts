/**
 * The storage contract: one suite, run unchanged against every backend — a real SQLite file
 * and a real PostgreSQL schema. Whatever one backend does (dedup rules, identity graph,
 * attribution, rollups, outbox leases, erasure), the other must do the same.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommitOutcome, Identifier, NormalizedEvent, TouchInput } from "../domain/event.js";
import { newId } from "../domain/ids.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { emptyHistogram, record } from "../monitoring/histogram.js";
import { createTestSchema, postgresAvailable } from "../../test/postgres/pg-test-db.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { CommitItem, Store } from "./storage.js";

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
  const store = new PostgresStore({ url: schema.url, dedupWindowMs: WINDOW, maxGroupWeight: 1000 });
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

function event(
  ws: string,
  o: Partial<NormalizedEvent> & { ids?: [Identifier["kind"], string][] } = {},
): NormalizedEvent {
  const { ids, ...rest } = o;
  return {
    id: newId("evt"),
    workspaceId: ws,
    eventName: "Purchase",
    isConversion: true,
    eventTime: NOW - MINUTE_MS,
    receivedAt: NOW,
    eventId: null,
    orderId: null,
    actionSource: "website",
    eventSourceUrl: null,
    value: 10,
    currency: "USD",
    user: {},
    identifiers: (ids ?? []).map(([kind, value]) => ({ kind, value })),
    customData: {},
    consent: null,
    testEventCode: null,
    touch: null,
    warnings: [],
    ...rest,
  };
}

const item = (ev: NormalizedEvent, destinations: string[] = []): CommitItem => ({
  event: ev,
  windows: ev.isConversion ? { clickWindowDays: 30, viewWindowDays: 1 } : null,
  destinations,
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
      it("claims under a lease, lets an expired lease be reclaimed, and settles only for the holder", async () => {
        const ws = await workspace();
        const d = await store.createDestination({
          id: newId("dst"),
          workspaceId: ws.id,
          type: "webhook",
          name: "hook",
          events: ["Purchase"],
          configEnc: "enc",
          createdAt: NOW,
        });
        expect(await store.listDestinations(ws.id)).toEqual([d]);
        expect(await store.getDestination(ws.id, d.id)).toEqual(d);
        const evs = [1, 2, 3].map((i) => event(ws.id, { eventId: `dl-${i}`, orderId: `o-${i}` }));
        await commit(...evs.map((e) => item(e, [d.id])));

        const t = NOW + 1000;
        const [a, b] = await Promise.all([
          store.claimDeliveries(d.id, 2, t, 60_000, "A"),
          store.claimDeliveries(d.id, 2, t, 60_000, "B"),
        ]);
        expect(a.length + b.length).toBe(3); // never the same delivery twice
        expect(new Set([...a, ...b].map((j) => j.id)).size).toBe(3);
        expect(await store.claimDeliveries(d.id, 10, t + 1, 60_000, "C")).toEqual([]);
        const job = [...a, ...b].find((j) => j.event.id === evs[0]!.id)!;
        expect(job.event).toMatchObject({
          eventId: "dl-1",
          orderId: "o-1",
          eventName: "Purchase",
          value: 10,
          workspaceId: ws.id,
        });

        // the holders crash; after the lease C takes them all
        const reclaimed = await store.claimDeliveries(d.id, 10, t + 60_000, 60_000, "C");
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
        await store.completeDeliveries([settle(job, "delivered")], "A"); // stale holder: ignored
        expect(await store.listDeliveries(ws.id, d.id, "delivered", 10)).toEqual([]);
        await store.completeDeliveries(
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
        const again = await store.claimDeliveries(d.id, 10, t + 62_000, 60_000, "D");
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
