/**
 * The credit rollup: how a range is cut into blocks (pure), and, on both backends, that after
 * random ingests (batched and concurrent), supersedes and reattributions the rollup holds
 * exactly what a GROUP BY over the credits gives (the migration's backfill), and that the
 * credit sums of any range equal the raw credits' sums.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUP_BYS, MODELS, type GroupBy } from "../attribution/index.js";
import { Rng } from "../cli/prng.js";
import type { EventSource, NormalizedEvent, TouchInput } from "../domain/event.js";
import { newId } from "../domain/ids.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { normalizedEvent } from "../../test/helpers/events.js";
import { SQLITE_WRITER_ENTRY, commitCore } from "../open-store.js";
import { createTestSchema, postgresAvailable } from "../../test/postgres/pg-test-db.js";
import { blockStart, coverRange, ROLLUP_SPANS } from "./credit-rollup.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { CREDIT_ROLLUP_BACKFILL as PG_BACKFILL } from "./postgres/schema.js";
import type { CreditTotal } from "./spend-store.js";
import { CREDIT_ROLLUP_BACKFILL as SQLITE_BACKFILL } from "./sqlite/schema.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { CommitItem, Store } from "./storage.js";

const T0 = Date.UTC(2026, 0, 5, 13, 17);

describe("coverRange", () => {
  /** Every minute of [from, to) is covered exactly once by the blocks and the raw edges. */
  function tiles(from: number, to: number): void {
    const { runs, raw } = coverRange(from, to);
    const cover: [number, number][] = raw.map((r) => [r.from!, r.to!]);
    for (const r of runs) {
      expect(r.from! % r.span).toBe(0);
      expect(r.to! % r.span).toBe(0);
      for (let s = r.from!; s < r.to!; s += r.span) cover.push([s, s + r.span]);
    }
    cover.sort((a, b) => a[0] - b[0]);
    let at = from;
    for (const [a, b] of cover) {
      expect(a).toBe(at);
      expect(b).toBeGreaterThan(a);
      at = b;
    }
    expect(at).toBe(from < to ? to : from);
    // Raw credits: parts of hours, or (no whole hour inside) the range itself.
    for (const r of raw) expect(r.to! - r.from!).toBeLessThan(runs.length > 0 ? HOUR_MS : 2 * HOUR_MS);
  }

  it.each([
    ["a whole day", Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 2)],
    ["30 days from midnight", Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 31)],
    ["30 days from 07:30", Date.UTC(2026, 2, 1, 7, 30), Date.UTC(2026, 2, 31, 7, 30)],
    ["inside one hour", Date.UTC(2026, 2, 1, 7, 5), Date.UTC(2026, 2, 1, 7, 55)],
    ["across one hour boundary", Date.UTC(2026, 2, 1, 7, 5), Date.UTC(2026, 2, 1, 8, 55)],
    ["a year", Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1)],
    ["empty", Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 1)],
  ])("tiles %s exactly", (_name, from, to) => tiles(from, to));

  it("tiles random ranges exactly, with few blocks", () => {
    const rng = new Rng(7);
    for (let i = 0; i < 300; i++) {
      const from = T0 + rng.int(0, 60 * 24 * 90) * MINUTE_MS;
      const to = from + rng.int(0, 60 * 24 * 60) * MINUTE_MS;
      tiles(from, to);
      // At most the edges, 23 + 23 hours, 3 + 3 days, 3 + 3 4-day blocks and the 16-day ones.
      const blocks = coverRange(from, to).runs.reduce((n, r) => n + (r.to! - r.from!) / r.span, 0);
      expect(blocks).toBeLessThanOrEqual(23 + 23 + 3 + 3 + 3 + 3 + Math.ceil((to - from) / (16 * DAY_MS)));
    }
  });

  it("reads open ends from the largest blocks and the raw credits", () => {
    const to = Date.UTC(2026, 2, 1, 7, 30);
    const c = coverRange(null, to);
    expect(c.raw).toEqual([{ from: Date.UTC(2026, 2, 1, 7), to }]);
    expect(c.runs[0]).toEqual({ span: ROLLUP_SPANS.at(-1), from: null, to: blockStart(to, 16 * DAY_MS) });
    expect(coverRange(null, null)).toEqual({ runs: [{ span: 16 * DAY_MS, from: null, to: null }], raw: [] });
  });
});

// ---- both backends ------------------------------------------------------------------------

interface Backend {
  store: Store;
  /** Rows of a query as arrays of values. */
  rows(sql: string): Promise<unknown[][]>;
  /** Runs statements beside the store (its writer idle). */
  exec(sql: string): Promise<void>;
  backfill: string;
  cleanup(): Promise<void>;
}

async function makeSqlite(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "tally-rollup-"));
  const path = join(dir, "tally.db");
  const store = new SqliteStore({
    path,
    synchronous: "normal",
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 5000,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
  const db = new Database(path);
  db.pragma("busy_timeout = 5000");
  return {
    store,
    rows: (sql) => Promise.resolve(db.prepare(sql).raw().all() as unknown[][]),
    exec: (sql) => Promise.resolve(void db.exec(sql)),
    backfill: SQLITE_BACKFILL,
    async cleanup() {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function makePg(): Promise<Backend> {
  const schema = await createTestSchema({ pool_max: "4" });
  const store = new PostgresStore({
    url: schema.url,
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 1000,
    core: commitCore,
  });
  await store.init();
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  return {
    store,
    rows: async (sql) => (await client.query<unknown[]>({ text: sql, rowMode: "array" })).rows,
    exec: async (sql) => void (await client.query(sql)),
    backfill: PG_BACKFILL,
    async cleanup() {
      await client.end();
      await store.close();
      await schema.drop();
    },
  };
}

const pgUp = await postgresAvailable("the PostgreSQL half of the credit rollup test");

const PLATFORMS = ["google", "meta", "tiktok"];
const CAMPAIGNS = ["Brand", "brand", "", null, "Spring sale"];
const ADS = ["a1", "a2", "", null];
const CURRENCIES = ["USD", "EUR", null];

function event(ws: string, rng: Rng, o: Partial<NormalizedEvent>): NormalizedEvent {
  return normalizedEvent(ws, T0 + 21 * DAY_MS, {
    eventTime: T0 + rng.int(0, 20 * 24 * 60) * MINUTE_MS + rng.int(0, 59_999),
    value: rng.chance(0.1) ? null : rng.int(1, 50_000) / 100,
    currency: rng.pick(CURRENCIES),
    ids: [["external_id", `u${rng.int(1, 15)}`]],
    // Some conversions flagged by traffic quality: their credits are kept apart.
    quality: rng.chance(0.2) ? { score: 40, flags: ["bot"] } : null,
    ...o,
  });
}

function touch(rng: Rng): TouchInput {
  return {
    kind: rng.chance(0.8) ? "click" : "impression",
    time: T0 - 2 * DAY_MS + rng.int(0, 22 * 24 * 60) * MINUTE_MS,
    platform: rng.pick(PLATFORMS),
    campaign: rng.pick(CAMPAIGNS),
    ad: rng.pick(ADS),
    touchId: null,
    clickId: null,
    identifiers: [{ kind: "external_id", value: `u${rng.int(1, 15)}` }],
  };
}

const WINDOWS = { clickWindowDays: 30, viewWindowDays: 1 };
const item = (ev: NormalizedEvent, source: EventSource): CommitItem => ({
  event: ev,
  windows: WINDOWS,
  source,
});

/** The rollup's rows with their keys, as a GROUP BY over the credits would give them. */
const ROLLUP = `SELECT r.workspace_id, r.model, r.span, r.start, k.platform, k.campaign, k.ad, k.currency, k.nulls,
  r.flagged, r.n, r.credit, r.value FROM credit_rollup r JOIN credit_keys k ON k.id = r.key_id
  WHERE r.n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`;
const GROUPED = `SELECT workspace_id, model, s.span, event_time - (((event_time % s.span) + s.span) % s.span),
  platform, COALESCE(campaign, ''), COALESCE(ad, ''), COALESCE(currency, ''),
  (CASE WHEN campaign IS NULL THEN 1 ELSE 0 END) + (CASE WHEN ad IS NULL THEN 2 ELSE 0 END)
    + (CASE WHEN currency IS NULL THEN 4 ELSE 0 END), CASE WHEN flagged THEN 1 ELSE 0 END,
  count(*), SUM(credit), SUM(credit * COALESCE(value, 0))
  FROM credits CROSS JOIN (${ROLLUP_SPANS.map((x, i) => `SELECT ${x}${i === 0 ? " AS span" : ""}`).join(" UNION ALL ")}) AS s
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`;

async function expectSame(b: Backend): Promise<void> {
  const have = await b.rows(ROLLUP);
  const want = await b.rows(GROUPED);
  expect(have.length).toBe(want.length);
  have.forEach((row, i) => {
    const w = want[i]!;
    expect(row.slice(0, 10).map(String)).toEqual(w.slice(0, 10).map(String));
    expect(Number(row[10])).toBe(Number(w[10]));
    expect(Number(row[11])).toBeCloseTo(Number(w[11]), 6);
    expect(Number(row[12])).toBeCloseTo(Number(w[12]), 6);
  });
}

describe.each([
  ["sqlite", makeSqlite, false],
  ["postgres", makePg, !pgUp],
] as const)("credit rollup on %s", (_name, make, skip) => {
  describe.skipIf(skip)("", () => {
    let b: Backend;
    let wsId: string;
    beforeAll(async () => {
      b = await make();
      const ws = await b.store.createWorkspace(
        { name: "Rollup", currency: "USD", timezone: "UTC" },
        { publicKey: `pk_${newId("k")}`, secretKeyHash: newId("h") },
        standardActions(),
      );
      wsId = ws.id;
      // Random work, some of it concurrent so several operations share a group commit.
      const rng = new Rng(20260105);
      const browserCopies: NormalizedEvent[] = [];
      for (let step = 0; step < 60; step++) {
        const work: Promise<unknown>[] = [];
        for (let k = rng.int(1, 4); k > 0; k--) {
          const what = rng.weighted([
            ["touches", 4],
            ["events", 4],
            ["supersede", 2],
            ["reattribute", 1],
          ] as const);
          if (what === "touches") {
            const list = Array.from({ length: rng.int(1, 5) }, () => touch(rng));
            work.push(b.store.commitTouches(wsId, list, T0 + 21 * DAY_MS, []));
          } else if (what === "events") {
            const items = Array.from({ length: rng.int(1, 4) }, () => {
              const browser = rng.chance(0.5);
              const ev = event(wsId, rng, { eventId: browser ? newId("e") : null });
              if (browser) browserCopies.push(ev);
              return item(ev, browser ? "browser" : "server");
            });
            work.push(b.store.commitEvents(items, []));
          } else if (what === "supersede" && browserCopies.length > 0) {
            const first = browserCopies.splice(rng.int(0, browserCopies.length - 1), 1)[0]!;
            const copy = event(wsId, rng, {
              eventId: first.eventId,
              eventTime: first.eventTime,
              identifiers: first.identifiers,
              receivedAt: first.receivedAt + 1000,
            });
            work.push(b.store.commitEvents([item(copy, "server")], []));
          } else if (what === "reattribute") {
            const from = T0 + rng.int(0, 15) * DAY_MS + rng.int(0, 23) * HOUR_MS;
            work.push(
              b.store.reattribute(wsId, from, from + rng.int(1, 8) * DAY_MS, () => Promise.resolve(WINDOWS)),
            );
          }
        }
        await Promise.all(work);
      }
    }, 60_000);
    afterAll(async () => {
      await b?.cleanup();
    });

    it("holds what a GROUP BY over the credits gives, row for row", async () => {
      const credits = await b.rows("SELECT count(*) FROM credits");
      expect(Number(credits[0]![0])).toBeGreaterThan(200); // the workload did attribute
      const superseded = await b.rows("SELECT count(*) FROM events WHERE superseded_at IS NOT NULL");
      expect(Number(superseded[0]![0])).toBeGreaterThan(5); // and supersede
      await expectSame(b);
      // A key whose credits all went (reattributed away) holds exact zeros.
      const zeros = await b.rows("SELECT credit, value FROM credit_rollup WHERE n = 0");
      for (const [credit, value] of zeros) expect([Number(credit), Number(value)]).toEqual([0, 0]);
    });

    it("is rebuilt the same by the migration's backfill", async () => {
      await b.exec("DELETE FROM credit_rollup");
      await b.exec(b.backfill);
      await expectSame(b);
    });

    it("gives the raw credits' sums for any range, model and grouping", async () => {
      const rng = new Rng(99);
      const raw = (await b.rows(
        "SELECT model, event_time, platform, campaign, ad, currency, credit, value, flagged FROM credits",
      )) as [
        string,
        number,
        string,
        string | null,
        string | null,
        string | null,
        number,
        number | null,
        unknown,
      ][];
      const ranges: [number | null, number | null][] = [
        [null, null],
        [null, T0 + 3 * DAY_MS + 17 * MINUTE_MS],
        [T0 + 5 * HOUR_MS, null],
      ];
      for (let i = 0; i < 12; i++) {
        const from = T0 - DAY_MS + rng.int(0, 20 * 24 * 60) * MINUTE_MS;
        ranges.push([from, from + rng.int(0, 12 * 24 * 60) * MINUTE_MS]);
      }
      for (const [from, to] of ranges)
        for (const model of [MODELS[0]!, rng.pick(MODELS)])
          for (const [groupBy, excludeFlagged] of GROUP_BYS.map((g) => [g, rng.chance(0.5)] as const)) {
            const got = await b.store.spend.creditTotals(wsId, { from, to, model, groupBy, excludeFlagged });
            const want = new Map<string, { conversions: number; value: number }>();
            for (const [m, t, platform, campaign, ad, currency, credit, value, flagged] of raw) {
              if (m !== model || (from !== null && Number(t) < from) || (to !== null && Number(t) >= to))
                continue;
              if (excludeFlagged && Boolean(flagged)) continue;
              const key = keyOf({ platform, campaign, ad, currency }, groupBy);
              const s = want.get(key) ?? { conversions: 0, value: 0 };
              s.conversions += credit;
              s.value += credit * (value ?? 0);
              want.set(key, s);
            }
            const have = new Map(got.map((r) => [keyOf(r, groupBy), r]));
            expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
            for (const [key, w] of want) {
              expect(have.get(key)!.conversions).toBeCloseTo(w.conversions, 6);
              expect(have.get(key)!.value).toBeCloseTo(w.value, 6);
            }
          }
    });
  });
});

function keyOf(r: Pick<CreditTotal, "platform" | "campaign" | "ad" | "currency">, groupBy: GroupBy): string {
  return JSON.stringify([
    r.platform,
    groupBy === "platform" ? null : r.campaign,
    groupBy === "ad" ? r.ad : null,
    r.currency,
  ]);
}
