/**
 * The commit steps, table by table, over every implementation of the seam: the in-memory one
 * (memory-tx.ts), a real SQLite file and a real PostgreSQL schema, each through its real
 * `CommitTx`. Each test runs in a transaction of its own that is rolled back afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, postgresAvailable } from "../../test/postgres/pg-test-db.js";
import type { EventSource, Identifier, NormalizedEvent, TouchInput } from "../domain/event.js";
import { newId } from "../domain/ids.js";
import { DAY_MS, MINUTE_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { RollupAccumulator } from "../monitoring/rollups.js";
import { migrate as pgMigrate } from "../storage/postgres/migrate.js";
import { PgCommitTx } from "../storage/postgres/pg-commit-tx.js";
import { PgWrites } from "../storage/postgres/pg-writes.js";
import { createPool } from "../storage/postgres/pool.js";
import { migrate, openDatabase } from "../storage/sqlite/migrate.js";
import { SqliteCommitTx } from "../storage/sqlite/sqlite-commit-tx.js";
import { SqliteWrites } from "../storage/sqlite/sqlite-writes.js";
import { commitCore } from "./index.js";
import { MemoryTx } from "./memory-tx.js";
import { MAX_IDENTIFIERS_PER_PERSON } from "../domain/identity-limits.js";
import { commitEvents } from "./commit-events.js";
import { attribute } from "./steps/attribute.js";
import { dedup } from "./steps/dedup.js";
import { identify } from "./steps/identify.js";
import { persist } from "./steps/persist.js";
import { commitTouches } from "./touches.js";
import { reattribute } from "./reattribute.js";
import type { CommitContext, CommitItem, CommitTx, ReattributeTx } from "./tx.js";
import { DEFAULT_QUALITY_SETTINGS, type QualitySettings } from "../quality/settings.js";
import type { QualityInput } from "../quality/input.js";
import { normalizedEvent, type EventOverrides } from "../../test/helpers/events.js";

const WINDOW = 7 * DAY_MS;
const NOW = Date.now();
const WINDOWS = { clickWindowDays: 7, viewWindowDays: 1 };
/** Keys are unique per workspace. */
const keys = () => ({ publicKey: newId("pk"), secretKeyHash: newId("sk") });

/** One test's transaction on one backend, and what the tests read back beside the seam. */
interface Harness {
  tx: CommitTx & ReattributeTx;
  ws: string;
  addDestination(type: string, events: string[] | null): Promise<string>;
  /** Destination ids of the event's outbox rows, in creation order. */
  deliveriesOf(eventRef: string): Promise<string[]>;
  /** Platforms of the event's last-click credits. */
  lastClickOf(eventRef: string): Promise<string[]>;
  /** Writes what the tx buffered (PostgreSQL buffers inserts until an operation ends). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The person linking gives (the contract tests of the limits also read what was refused). */
const link = async (h: Harness, ids: Identifier[]): Promise<string | null> =>
  (await h.tx.linkIdentifiers(h.ws, ids)).person;

interface Backend {
  open(): Promise<Harness>;
  cleanup(): Promise<void>;
}

function memoryBackend(): Backend {
  return {
    open() {
      const tx = new MemoryTx();
      const ws = newId("ws");
      return Promise.resolve({
        tx,
        ws,
        addDestination: (type, events) => Promise.resolve(tx.addDestination(ws, type, events)),
        deliveriesOf: (ref) =>
          Promise.resolve(tx.deliveries.filter((d) => d.eventRef === ref).map((d) => d.destinationId)),
        lastClickOf: (ref) =>
          Promise.resolve((tx.events.get(ref)?.credits?.last_click ?? []).map((c) => c.platform)),
        flush: () => Promise.resolve(),
        close: () => Promise.resolve(),
      });
    },
    cleanup: () => Promise.resolve(),
  };
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "tally-steps-"));
  const db = openDatabase(join(dir, "tally.db"), "normal");
  migrate(db);
  const writes = new SqliteWrites(db, { onWorkspaceChanged() {}, onDestinationsChanged() {} });
  return {
    open() {
      const ws = writes.createWorkspace(
        { name: "Steps", currency: "USD", timezone: "UTC" },
        keys(),
        standardActions(),
      ).id;
      db.exec("BEGIN IMMEDIATE");
      const tx = new SqliteCommitTx(db);
      return Promise.resolve({
        tx,
        ws,
        addDestination: (type, events) =>
          Promise.resolve(writes.createDestination(destination(ws, type, events)).id),
        deliveriesOf: (ref) =>
          Promise.resolve(
            (
              db
                .prepare("SELECT destination_id FROM deliveries WHERE event_ref = ? ORDER BY rowid")
                .all(ref) as { destination_id: string }[]
            ).map((r) => r.destination_id),
          ),
        lastClickOf: (ref) =>
          Promise.resolve(
            (
              db
                .prepare(
                  "SELECT platform FROM credits WHERE event_ref = ? AND model = 'last_click' ORDER BY ord",
                )
                .all(ref) as { platform: string }[]
            ).map((r) => r.platform),
          ),
        flush: () => Promise.resolve(),
        close: () => {
          db.exec("ROLLBACK");
          return Promise.resolve();
        },
      });
    },
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function pgBackend(): Promise<Backend> {
  const schema = await createTestSchema({ pool_max: "4" });
  const pool = createPool({ url: schema.url }, () => {});
  await pgMigrate(pool);
  const writes = new PgWrites(pool, commitCore);
  return {
    async open() {
      const ws = (
        await writes.createWorkspace(
          { name: "Steps", currency: "USD", timezone: "UTC" },
          keys(),
          standardActions(),
        )
      ).id;
      const client: pg.PoolClient = await pool.connect();
      await client.query("BEGIN");
      const tx = new PgCommitTx(client, WINDOW);
      const rows = async <T>(sql: string, ref: string, col: keyof T) => {
        await tx.flush();
        return (await client.query<T & pg.QueryResultRow>(sql, [ref])).rows.map((r) => r[col] as string);
      };
      return {
        tx,
        ws,
        // Committed apart, before the transaction reads the destinations (it then holds their lock shared).
        addDestination: async (type, events) =>
          (await writes.createDestination(destination(ws, type, events))).id,
        deliveriesOf: (ref) =>
          rows<{ destination_id: string }>(
            "SELECT destination_id FROM deliveries WHERE event_ref = $1 ORDER BY created_at, id",
            ref,
            "destination_id",
          ),
        lastClickOf: (ref) =>
          rows<{ platform: string }>(
            "SELECT platform FROM credits WHERE event_ref = $1 AND model = 'last_click' ORDER BY ord",
            ref,
            "platform",
          ),
        flush: () => tx.flush(),
        async close() {
          await client.query("ROLLBACK");
          client.release();
        },
      };
    },
    async cleanup() {
      await pool.end();
      await schema.drop();
    },
  };
}

const pgUp = await postgresAvailable("the PostgreSQL half of the commit steps' contract");

function destination(workspaceId: string, type: string, events: string[] | null) {
  return { id: newId("dst"), workspaceId, type, name: type, events, configEnc: "x", createdAt: Date.now() };
}

const event = (ws: string, o: EventOverrides = {}): NormalizedEvent => normalizedEvent(ws, NOW, o);

const item = (
  ev: NormalizedEvent,
  source: EventSource = "server",
  windows: CommitItem["windows"] = WINDOWS,
): CommitItem => ({
  event: ev,
  windows: ev.isConversion ? windows : null,
  source,
});

function click(o: Partial<TouchInput> & { anon?: string; daysAgo?: number } = {}): TouchInput {
  const { anon, daysAgo, ...rest } = o;
  return {
    kind: "click",
    time: NOW - MINUTE_MS - (daysAgo ?? 1) * DAY_MS,
    platform: "meta",
    campaign: "c",
    ad: null,
    touchId: null,
    clickId: null,
    identifiers: anon ? [{ kind: "anonymous_id", value: anon }] : [],
    ...rest,
  };
}

const input = (
  o: Omit<Partial<QualityInput>, "settings"> & { settings?: Partial<QualitySettings> } = {},
): QualityInput => ({
  bot: false,
  addressKey: "a:flood",
  datacenter: false,
  ...o,
  settings: { ...DEFAULT_QUALITY_SETTINGS, maxClicksPerIpPerMinute: 3, ...o.settings },
});

const context = (): CommitContext => ({
  rollups: new RollupAccumulator(),
  dedupWindowMs: WINDOW,
  currencyOf: () => "USD",
});

describe.each([
  { name: "memory", make: () => Promise.resolve(memoryBackend()), skip: false },
  { name: "sqlite", make: () => Promise.resolve(sqliteBackend()), skip: false },
  { name: "postgres", make: pgBackend, skip: !pgUp },
])("commit steps over $name", ({ make, skip }) => {
  let backend: Backend;
  beforeAll(async () => {
    if (!skip) backend = await make();
  });
  afterAll(async () => {
    if (!skip) await backend.cleanup();
  });
  /** Runs `fn` in a fresh transaction on a fresh workspace, rolled back afterwards. */
  const inTx = async (fn: (h: Harness, ctx: CommitContext) => Promise<void>) => {
    const h = await backend.open();
    try {
      await fn(h, context());
    } finally {
      await h.close();
    }
  };

  describe.skipIf(skip)("", () => {
    describe("dedup", () => {
      it.each<[string, Partial<NormalizedEvent>, Partial<NormalizedEvent>, boolean]>([
        ["the same event_id", { eventId: "e1" }, { eventId: "e1" }, true],
        [
          "different event_ids, the same order_id",
          { eventId: "e1", orderId: "o1" },
          { eventId: "e2", orderId: "o1" },
          false,
        ],
        ["the same order_id, no event_ids", { orderId: "o1" }, { orderId: "o1" }, true],
        [
          "an order_id with an event_id, then alone",
          { eventId: "e1", orderId: "o1" },
          { orderId: "o1" },
          true,
        ],
        [
          "an order_id alone, then with an event_id",
          { orderId: "o1" },
          { eventId: "e9", orderId: "o1" },
          true,
        ],
        [
          "the same event_id of another event name",
          { eventId: "e1" },
          { eventId: "e1", eventName: "Lead" },
          false,
        ],
        ["a test event beside a real one", { eventId: "e1" }, { eventId: "e1", testEventCode: "T1" }, false],
        ["neither id", {}, {}, false],
        [
          "the first copy out of the window",
          { eventId: "e1", receivedAt: NOW - WINDOW - 1 },
          { eventId: "e1" },
          false,
        ],
      ])("%s → duplicate: %s", (_name, first, later, duplicate) =>
        inTx(async (h, ctx) => {
          const a = event(h.ws, first);
          await commitEvents(h.tx, [item(a)], ctx);
          ctx.rollups.drain();
          const seen = await dedup(h.tx, item(event(h.ws, later)), ctx);
          expect(seen.status).toBe(duplicate ? "duplicate" : "new");
          if (seen.status === "duplicate") expect(seen.outcome).toEqual({ status: "duplicate", id: a.id });
          expect(ctx.rollups.drain()).toEqual(duplicate ? [expect.objectContaining({ duplicates: 1 })] : []);
        }),
      );

      it.each<[EventSource, EventSource, boolean]>([
        ["browser", "server", true],
        ["pixel", "server", true],
        ["server", "server", false],
        ["server", "browser", false],
        ["browser", "browser", false],
      ])("a %s copy, then a %s copy → superseded: %s", (firstSource, laterSource, superseded) =>
        inTx(async (h, ctx) => {
          const a = event(h.ws, { eventId: "s1", value: 1 });
          await commitEvents(h.tx, [item(a, firstSource)], ctx);
          ctx.rollups.drain();
          const seen = await dedup(h.tx, item(event(h.ws, { eventId: "s1", value: 99 }), laterSource), ctx);
          expect(seen.status).toBe("duplicate");
          if (seen.status !== "duplicate") return;
          expect(seen.outcome.id).toBe(a.id);
          expect(seen.outcome.superseded?.value).toBe(superseded ? 99 : undefined);
          expect((await h.tx.storedCopy(h.ws, a.id))?.value).toBe(superseded ? 99 : 1);
          // The value moves in the first arrival's minute; the copy is counted as a duplicate.
          expect(ctx.rollups.drain()).toEqual([
            expect.objectContaining({ duplicates: 1, ...(superseded ? { value: 98 } : {}) }),
          ]);
        }),
      );

      it.each([
        ["made from its received_at, as normalize makes it", 0],
        ["made 40 days before it was received", 40 * DAY_MS],
      ])("the stored copy is found and superseded when its id is %s", (_name, offset) =>
        inTx(async (h, ctx) => {
          const a = { ...event(h.ws, { eventId: "s2", value: 1 }), id: newId("evt", NOW - offset) };
          await commitEvents(h.tx, [item(a, "browser")], ctx);
          const seen = await dedup(h.tx, item(event(h.ws, { eventId: "s2", value: 99 }), "server"), ctx);
          expect(seen.status === "duplicate" && seen.outcome.superseded?.value).toBe(99);
          expect(await h.tx.storedCopy(h.ws, a.id)).toMatchObject({ value: 99, receivedAt: NOW });
        }),
      );
    });

    describe("identify", () => {
      it.each<
        [
          string,
          Partial<NormalizedEvent> & { ids?: [Identifier["kind"], string][] },
          "none" | "known" | "new",
        ]
      >([
        ["no identifiers", {}, "none"],
        ["a test event", { testEventCode: "T1", ids: [["anonymous_id", "a1"]] }, "none"],
        ["a known identifier", { ids: [["anonymous_id", "a1"]] }, "known"],
        [
          "a known and a new identifier",
          {
            ids: [
              ["anonymous_id", "a1"],
              ["email", "e".repeat(64)],
            ],
          },
          "known",
        ],
        ["only new identifiers", { ids: [["anonymous_id", "zz"]] }, "new"],
      ])("%s → %s person", (_name, ev, expected) =>
        inTx(async (h, ctx) => {
          const known = await link(h, [{ kind: "anonymous_id", value: "a1" }]);
          const { person } = await identify(h.tx, item(event(h.ws, ev)), ctx);
          if (expected === "none") expect(person).toBeNull();
          else if (expected === "known") expect(person).toBe(known);
          else {
            expect(person).not.toBeNull();
            expect(person).not.toBe(known);
          }
        }),
      );

      it("links two known persons into one, both identifiers then name it", () =>
        inTx(async (h, ctx) => {
          const a = [{ kind: "anonymous_id", value: "a" }] as Identifier[];
          const b = [{ kind: "external_id", value: "b" }] as Identifier[];
          await link(h, a);
          await link(h, b);
          const { person: p } = await identify(
            h.tx,
            item(
              event(h.ws, {
                ids: [
                  ["anonymous_id", "a"],
                  ["external_id", "b"],
                ],
              }),
            ),
            ctx,
          );
          expect(await link(h, a)).toBe(p);
          expect(await link(h, b)).toBe(p);
        }));

      describe("limits", () => {
        const ids = (...pairs: [Identifier["kind"], string][]): Identifier[] =>
          pairs.map(([kind, value]) => ({ kind, value }));

        it("two persons with different external ids are never merged; the event goes with its external id", () =>
          inTx(async (h) => {
            const p1 = await link(h, ids(["external_id", "u1"], ["anonymous_id", "shared"]));
            const p2 = await link(h, ids(["anonymous_id", "shared"], ["external_id", "u2"]));
            expect(p2).not.toBe(p1);
            expect(await link(h, ids(["anonymous_id", "shared"]))).toBe(p1);
            expect(await link(h, ids(["external_id", "u2"]))).toBe(p2);
            // Two known persons, each with its own external id: still two.
            const p3 = await link(h, ids(["external_id", "u1"], ["external_id", "u2"]));
            expect(p3).toBe(p1);
            expect(await link(h, ids(["external_id", "u2"]))).toBe(p2);
          }));

        it("a person without an external id takes one, and then no other", () =>
          inTx(async (h) => {
            const p = await link(h, ids(["anonymous_id", "d1"]));
            expect(await link(h, ids(["anonymous_id", "d1"], ["external_id", "v1"]))).toBe(p);
            const other = await link(h, ids(["anonymous_id", "d1"], ["external_id", "v2"]));
            expect(other).not.toBe(p);
            expect(await link(h, ids(["email", "f".repeat(64)], ["anonymous_id", "d1"]))).toBe(p);
          }));

        it(`a person holds at most ${MAX_IDENTIFIERS_PER_PERSON} identifiers: no merge or addition passes it`, () =>
          inTx(async (h) => {
            const full = await link(
              h,
              Array.from({ length: MAX_IDENTIFIERS_PER_PERSON }, (_, i) => ({
                kind: "anonymous_id" as const,
                value: `full-${i}`,
              })),
            );
            await h.flush();
            // A new identifier is not added to the full person; seen alone, it starts its own.
            expect(await link(h, ids(["anonymous_id", "full-0"], ["anonymous_id", "extra"]))).toBe(full);
            const extra = await link(h, ids(["anonymous_id", "extra"]));
            expect(extra).not.toBe(full);
            // Nor does it merge with another person: the event stays with its strongest identifier.
            const small = await link(h, ids(["email", "e".repeat(64)]));
            expect(await link(h, ids(["email", "e".repeat(64)], ["anonymous_id", "full-1"]))).toBe(small);
            expect(await link(h, ids(["anonymous_id", "full-1"]))).toBe(full);
            expect(await link(h, ids(["email", "e".repeat(64)]))).toBe(small);
          }));

        it("says how many identifiers the limits kept apart, and none when all could link", () =>
          inTx(async (h) => {
            const refused = async (...pairs: [Identifier["kind"], string][]) =>
              (await h.tx.linkIdentifiers(h.ws, ids(...pairs))).refused;
            expect(await refused(["external_id", "r1"], ["anonymous_id", "r-shared"])).toBe(0);
            expect(await refused(["external_id", "r1"], ["anonymous_id", "r-shared"])).toBe(0);
            // A second external id: the shared device stays with the first customer.
            expect(await refused(["external_id", "r2"], ["anonymous_id", "r-shared"])).toBe(1);
            // Both external ids at once: the weaker one is kept apart, and the device with the first.
            expect(
              await refused(["external_id", "r1"], ["external_id", "r2"], ["anonymous_id", "r-shared"]),
            ).toBe(1);
            expect(await refused()).toBe(0);
          }));
      });

      it.each<[string, string | null, number]>([
        ["a PageView's click is recorded and counted", null, 1],
        ["a click id already recorded is not counted again", "click_id:k1", 0],
      ])("%s", (_name, before, clicks) =>
        inTx(async (h, ctx) => {
          if (before)
            await commitTouches(h.tx, h.ws, [click({ clickId: before })], NOW, {
              rollups: new RollupAccumulator(),
            });
          const pv = event(h.ws, {
            eventName: "PageView",
            isConversion: false,
            ids: [["anonymous_id", "v1"]],
            touch: click({ clickId: "click_id:k1" }),
          });
          await identify(h.tx, item(pv), ctx);
          expect(ctx.rollups.drain()).toEqual(clicks ? [expect.objectContaining({ clicks })] : []);
        }),
      );
    });

    describe("attribute", () => {
      it.each<
        [
          string,
          TouchInput[],
          Partial<NormalizedEvent> & { ids?: [Identifier["kind"], string][] },
          string[] | null,
        ]
      >([
        [
          "not a conversion",
          [click({ anon: "v" })],
          { isConversion: false, ids: [["anonymous_id", "v"]] },
          null,
        ],
        [
          "a test conversion",
          [click({ anon: "v" })],
          { testEventCode: "T1", ids: [["anonymous_id", "v"]] },
          null,
        ],
        ["a conversion of no one", [click({ anon: "v" })], {}, []],
        ["a click in the window", [click({ anon: "v" })], { ids: [["anonymous_id", "v"]] }, ["meta"]],
        [
          "a click out of the window",
          [click({ anon: "v", daysAgo: 10 })],
          { ids: [["anonymous_id", "v"]] },
          [],
        ],
        [
          "a click after the conversion",
          [click({ anon: "v", daysAgo: -1 })],
          { ids: [["anonymous_id", "v"]] },
          [],
        ],
        [
          "the later of two clicks takes the last click",
          [click({ anon: "v", daysAgo: 3 }), click({ anon: "v", daysAgo: 1, platform: "google" })],
          { ids: [["anonymous_id", "v"]] },
          ["google"],
        ],
        ["another person's click", [click({ anon: "w" })], { ids: [["anonymous_id", "v"]] }, []],
      ])("%s", (_name, touches, ev, expected) =>
        inTx(async (h, ctx) => {
          await commitTouches(h.tx, h.ws, touches, NOW, ctx);
          const it = item(event(h.ws, ev));
          const { person } = await identify(h.tx, it, ctx);
          const credits = await attribute(h.tx, it, person);
          expect(credits === null ? null : credits.last_click.map((c) => c.platform)).toEqual(expected);
        }),
      );

      it("reads a person's latest touches up to the limit it is given, newest first", () =>
        inTx(async (h, ctx) => {
          const days = [5, 1, 4, 2, 3];
          await commitTouches(
            h.tx,
            h.ws,
            days.map((d) => click({ anon: "v", daysAgo: d, campaign: `d${d}` })),
            NOW,
            ctx,
          );
          const { person } = await identify(h.tx, item(event(h.ws, { ids: [["anonymous_id", "v"]] })), ctx);
          const latest = async (limit: number) =>
            (await h.tx.touchesOf(h.ws, person!, NOW - 30 * DAY_MS, NOW, limit)).map((t) => t.campaign);
          expect(await latest(3)).toEqual(["d1", "d2", "d3"]);
          expect(await latest(2)).toEqual(["d1", "d2"]);
          expect(await latest(3)).toEqual(["d1", "d2", "d3"]);
          expect(await latest(100)).toEqual(["d1", "d2", "d3", "d4", "d5"]);
        }));
    });

    describe("persist", () => {
      it.each<[string, Partial<NormalizedEvent>, number[], Record<string, number>]>([
        ["a Purchase: every destination taking it", {}, [0, 1], { accepted: 1, conversions: 1, value: 10 }],
        [
          "a Lead: the one taking every event",
          { eventName: "Lead" },
          [0],
          { accepted: 1, conversions: 1, value: 10 },
        ],
        ["a test Purchase: only a platform with a test mode", { testEventCode: "T1" }, [0], {}],
        ["a PageView: nowhere", { eventName: "PageView", isConversion: false }, [], { accepted: 1 }],
        [
          "a value in another currency: counted, not summed",
          { currency: "EUR" },
          [0, 1],
          { accepted: 1, conversions: 1, value: 0 },
        ],
      ])("%s", (_name, ev, routed, counts) =>
        inTx(async (h, ctx) => {
          const ids = [await h.addDestination("meta", null), await h.addDestination("webhook", ["Purchase"])];
          const e = event(h.ws, ev);
          const out = await persist(h.tx, item(e), null, null, ctx);
          expect(out).toEqual({ status: "accepted", id: e.id });
          expect((await h.deliveriesOf(e.id)).sort()).toEqual(routed.map((i) => ids[i]).sort());
          expect(await h.tx.storedCopy(h.ws, e.id)).toMatchObject({
            value: e.value,
            currency: e.currency,
            source: "server",
          });
          expect(ctx.rollups.drain()).toEqual(
            Object.keys(counts).length ? [expect.objectContaining(counts)] : [],
          );
        }),
      );

      it("stores the credits it is given", () =>
        inTx(async (h, ctx) => {
          const e = event(h.ws);
          const credits = {
            last_click: [{ platform: "tiktok", campaign: "c", ad: null, time: NOW - DAY_MS, credit: 1 }],
            first_click: [],
            linear: [],
            time_decay: [],
            position_based: [],
          };
          expect(await persist(h.tx, item(e), credits, null, ctx)).toEqual({
            status: "accepted",
            id: e.id,
            attribution: credits,
          });
          expect(await h.lastClickOf(e.id)).toEqual(["tiktok"]);
        }));
    });

    describe("touches", () => {
      it.each<[string, TouchInput, TouchInput, "accepted" | "duplicate"]>([
        [
          "the same touch_id",
          click({ touchId: "t1" }),
          click({ touchId: "t1", platform: "google" }),
          "duplicate",
        ],
        ["the same click id", click({ clickId: "gclid:g1" }), click({ clickId: "gclid:g1" }), "duplicate"],
        ["other ids", click({ touchId: "t1" }), click({ touchId: "t2" }), "accepted"],
        ["an impression after a click", click({ touchId: "t1" }), click({ kind: "impression" }), "accepted"],
      ])("%s", (_name, first, later, expected) =>
        inTx(async (h, ctx) => {
          const [a] = await commitTouches(h.tx, h.ws, [first], NOW, ctx);
          const [b] = await commitTouches(h.tx, h.ws, [later], NOW, ctx);
          expect(b!.status).toBe(expected);
          if (expected === "duplicate") expect(b!.id).toBe(a!.id);
          const counts = ctx.rollups.drain()[0]!;
          expect((counts.clicks ?? 0) + (counts.impressions ?? 0)).toBe(expected === "accepted" ? 2 : 1);
          if (later.kind === "impression") expect(counts.impressions).toBe(1);
        }),
      );

      it("a link's click recorded before its visitor was known is adopted by the landing PageView", () =>
        inTx(async (h, ctx) => {
          await commitTouches(h.tx, h.ws, [click({ clickId: "click_id:tc.1" })], NOW, ctx);
          const pv = event(h.ws, {
            eventName: "PageView",
            isConversion: false,
            ids: [["anonymous_id", "visitor"]],
            touch: click({ clickId: "click_id:tc.1" }),
          });
          const conv = event(h.ws, { ids: [["anonymous_id", "visitor"]] });
          const [, o] = await commitEvents(h.tx, [item(pv), item(conv)], ctx);
          expect(o!.attribution?.last_click.map((c) => c.platform)).toEqual(["meta"]);
        }));
    });

    describe("reattribute", () => {
      it.each<[string, boolean, string[]]>([
        ["a touch imported after its conversion now takes the credit", true, ["meta"]],
        ["an action without windows is left as it was", false, []],
      ])("%s", (_name, withWindows, expected) =>
        inTx(async (h, ctx) => {
          const conv = event(h.ws, { ids: [["anonymous_id", "late"]] });
          const [o] = await commitEvents(h.tx, [item(conv)], ctx);
          expect(o!.attribution?.last_click).toEqual([]);
          await commitTouches(h.tx, h.ws, [click({ anon: "late" })], NOW, ctx);
          await h.flush();
          const windows = withWindows ? { [h.ws]: { Purchase: WINDOWS } } : { [h.ws]: {} };
          expect(await reattribute(h.tx, h.ws, NOW - DAY_MS, NOW, windows)).toBe(1);
          expect(await h.lastClickOf(conv.id)).toEqual(expected);
        }),
      );
    });

    describe("quality", () => {
      it("flags the clicks of one address beyond the limit in a minute, and only new clicks count", () =>
        inTx(async (h, ctx) => {
          const clicks = Array.from({ length: 5 }, (_, i) =>
            click({ clickId: `click_id:q${i}`, quality: input() }),
          );
          const out = await commitTouches(h.tx, h.ws, clicks, NOW, ctx);
          expect(out.map((o) => o.quality?.flags ?? [])).toEqual([
            [],
            [],
            [],
            ["click_flood"],
            ["click_flood"],
          ]);
          // The same click id again (a landing PageView of a link's click) is not counted again.
          const again = await commitTouches(
            h.tx,
            h.ws,
            [click({ clickId: "click_id:q0", quality: input() })],
            NOW,
            ctx,
          );
          expect(again[0]!.quality).toBeUndefined();
          // Another address is not affected; a minute later the first one is clean again.
          const other = await commitTouches(
            h.tx,
            h.ws,
            [click({ clickId: "click_id:o", quality: input({ addressKey: "a:other" }) })],
            NOW,
            ctx,
          );
          expect(other[0]!.quality).toEqual({ score: 100, flags: [] });
          const later = await commitTouches(
            h.tx,
            h.ws,
            [click({ clickId: "click_id:l", quality: input() })],
            NOW + 61_000,
            ctx,
          );
          expect(later[0]!.quality?.flags).toEqual([]);
          expect(ctx.rollups.drain().reduce((n, d) => n + (d.flagged_clicks ?? 0), 0)).toBe(2);
        }));

      it.each<[string, Partial<QualityInput>, number, string[]]>([
        ["a clean conversion", {}, 60_000, []],
        ["a bot's", { bot: true }, 60_000, ["bot"]],
        ["one second after its click", {}, 1_000, ["too_fast"]],
        ["from a datacenter", { datacenter: true }, 60_000, ["datacenter_ip"]],
      ])("%s", (_name, o, sinceClick, flags) =>
        inTx(async (h, ctx) => {
          await commitTouches(h.tx, h.ws, [click({ anon: "v", daysAgo: 0 })], NOW, ctx);
          const conv = event(h.ws, {
            ids: [["anonymous_id", "v"]],
            eventTime: NOW - MINUTE_MS + sinceClick,
            qualityInput: input(o),
          });
          const [out] = await commitEvents(h.tx, [item(conv)], ctx);
          expect(out!.quality?.flags).toEqual(flags);
        }),
      );

      it("flags the conversions of one identity beyond the hourly limit; exclude routes them nowhere", () =>
        inTx(async (h, ctx) => {
          const dst = await h.addDestination("webhook", null);
          const settings = { maxConversionsPerIdentityPerHour: 2, flaggedConversions: "exclude" as const };
          const convs = Array.from({ length: 3 }, (_, i) =>
            event(h.ws, {
              ids: [["external_id", "same"]],
              qualityInput: input({ addressKey: `a:${i}`, settings }),
            }),
          );
          const out = await commitEvents(
            h.tx,
            convs.map((c) => item(c)),
            ctx,
          );
          expect(out.map((o) => o.quality?.flags)).toEqual([[], [], ["conversion_burst"]]);
          expect(await h.deliveriesOf(convs[1]!.id)).toEqual([dst]);
          expect(await h.deliveriesOf(convs[2]!.id)).toEqual([]);
          const sums = ctx.rollups.drain()[0]!;
          expect([sums.conversions, sums.flagged, sums.flagged_value]).toEqual([3, 1, 10]);
        }));

      it("does not judge a test event or a duplicate", () =>
        inTx(async (h, ctx) => {
          const t = event(h.ws, { testEventCode: "T1", qualityInput: input({ bot: true }) });
          const [a] = await commitEvents(h.tx, [item(t)], ctx);
          expect(a!.quality).toBeUndefined();
          const first = event(h.ws, { eventId: "e1", qualityInput: input({ bot: true }) });
          const dup = event(h.ws, { eventId: "e1", qualityInput: input({ bot: true }) });
          const [b, c] = await commitEvents(h.tx, [item(first), item(dup)], ctx);
          expect(b!.quality?.flags).toEqual(["bot"]);
          expect(c!.quality).toBeUndefined();
        }));
    });
  });
});
