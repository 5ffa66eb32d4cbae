/**
 * The spend half of the storage contract (`Store.spend`), run against a real SQLite file and a
 * real PostgreSQL schema: replacing rows by key, sums per key and day, credit sums, and the
 * spend sources' claim and sync record.
 */
import { normalizedEvent } from "../../test/helpers/events.js";
import { pgBackend, sqliteBackend } from "../../test/helpers/stores.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NormalizedEvent } from "../domain/event.js";
import { newId } from "../domain/ids.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { postgresAvailable } from "../../test/postgres/pg-test-db.js";
import type { SpendRecord, SpendSourceRecord } from "./spend-store.js";
import type { Store } from "./storage.js";

const NOW = Date.now();
const pgUp = await postgresAvailable("the PostgreSQL half of the spend storage contract");

const makeSqlite = sqliteBackend;
const makePg = pgBackend;

const row = (ws: string, o: Partial<SpendRecord> = {}): SpendRecord => ({
  workspaceId: ws,
  date: "2026-03-01",
  platform: "meta",
  account: "act_1",
  campaign: "Brand",
  campaignId: "111",
  ad: null,
  adId: null,
  spend: 10,
  currency: "USD",
  impressions: 100,
  clicks: 5,
  sourceId: null,
  ...o,
});

let seq = 0;

describe.each([
  ["sqlite", makeSqlite, false],
  ["postgres", makePg, !pgUp],
] as const)("Spend store contract: %s", (_name, make, skip) => {
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

    it("replaces a row sent again with the same key; an id keys the campaign, else its name", async () => {
      const ws = await workspace();
      await store.spend.upsert([row(ws.id), row(ws.id, { date: "2026-03-02", spend: 7 })], NOW);
      // Renamed campaign, same id: replaces. Same name without id: a row of its own.
      await store.spend.upsert([row(ws.id, { campaign: "Brand 2", spend: 12 })], NOW);
      await store.spend.upsert([row(ws.id, { campaignId: null, spend: 1 })], NOW);
      // Two rows of one key in one call: the last wins.
      await store.spend.upsert(
        [row(ws.id, { date: "2026-03-03", spend: 1 }), row(ws.id, { date: "2026-03-03", spend: 2 })],
        NOW,
      );
      const q = { fromDate: "2026-03-01", toDate: "2026-03-02", perDay: true } as const;
      const days = await store.spend.totals(ws.id, { ...q, groupBy: "campaign" });
      const pick = (t: (typeof days)[number]) => [t.date, t.campaignKey, t.campaignName, t.spend];
      expect(days.map(pick).sort()).toEqual([
        ["2026-03-01", "111", "Brand 2", 12],
        ["2026-03-01", "Brand", "Brand", 1],
        ["2026-03-02", "111", "Brand", 7],
      ]);
      const all = await store.spend.totals(ws.id, {
        fromDate: "2026-03-01",
        toDate: "2026-03-31",
        perDay: false,
        groupBy: "platform",
      });
      expect(all).toMatchObject([
        { date: null, platform: "meta", currency: "USD", spend: 22, impressions: 400 },
      ]);
    });

    it("sums per ad, keeps currencies apart, and never mixes workspaces", async () => {
      const ws = await workspace();
      const other = await workspace();
      await store.spend.upsert(
        [
          row(ws.id, { ad: "A", adId: "a1", spend: 3 }),
          row(ws.id, { ad: "B", adId: "b1", spend: 4 }),
          row(ws.id, { ad: "B", adId: "b1", date: "2026-03-02", spend: 5, currency: "EUR" }),
          row(other.id, { ad: "A", adId: "a1", spend: 100 }),
        ],
        NOW,
      );
      const t = await store.spend.totals(ws.id, {
        fromDate: "2026-03-01",
        toDate: "2026-03-02",
        perDay: false,
        groupBy: "ad",
      });
      expect(t.map((x) => [x.adKey, x.adName, x.currency, x.spend, x.account]).sort()).toEqual([
        ["a1", "A", "USD", 3, "act_1"],
        ["b1", "B", "EUR", 5, "act_1"],
        ["b1", "B", "USD", 4, "act_1"],
      ]);
    });

    it("sums attribution credit per key and currency over event_time", async () => {
      const ws = await workspace();
      await store.commitTouches(
        ws.id,
        [
          {
            kind: "click",
            time: NOW - HOUR_MS,
            platform: "meta",
            campaign: "111",
            ad: "a1",
            touchId: null,
            clickId: "fbclid:x1",
            identifiers: [{ kind: "fbclid", value: "x1" }],
          },
        ],
        NOW,
        [],
      );
      const ev = (value: number, currency: string): NormalizedEvent =>
        normalizedEvent(ws.id, NOW, { value, currency, user: { fbclid: "x1" }, ids: [["fbclid", "x1"]] });
      const windows = { clickWindowDays: 30, viewWindowDays: 1 };
      await store.commitEvents(
        [ev(40, "USD"), ev(10, "EUR")].map((event) => ({ event, windows, source: "server" as const })),
        [],
      );
      const c = await store.spend.creditTotals(ws.id, {
        from: NOW - DAY_MS,
        to: NOW,
        model: "linear",
        groupBy: "ad",
      });
      expect(c.map((x) => [x.platform, x.campaign, x.ad, x.currency, x.conversions, x.value]).sort()).toEqual(
        [
          ["meta", "111", "a1", "EUR", 1, 10],
          ["meta", "111", "a1", "USD", 1, 40],
        ],
      );
      expect(
        await store.spend.creditTotals(ws.id, { from: NOW, to: null, model: "linear", groupBy: "ad" }),
      ).toEqual([]);
    });

    it("keeps spend sources, claims due ones once, records syncs, deletes", async () => {
      const ws = await workspace();
      const src: SpendSourceRecord = {
        id: newId("src"),
        workspaceId: ws.id,
        type: "meta",
        name: "Meta",
        configEnc: "sealed",
        intervalMinutes: 60,
        createdAt: NOW,
        lastSyncAt: null,
        lastError: null,
        lastRows: null,
        nextSyncAt: NOW - 1,
      };
      await store.spend.createSource(src);
      expect(await store.spend.getSource(ws.id, src.id)).toEqual(src);
      const claimed = await store.spend.claimDueSources(NOW, MINUTE_MS);
      expect(claimed.map((s) => s.id)).toContain(src.id);
      expect((await store.spend.claimDueSources(NOW, MINUTE_MS)).map((s) => s.id)).not.toContain(src.id);
      await store.spend.recordSync(src.workspaceId, src.id, {
        lastSyncAt: NOW,
        lastError: "(#190) Invalid OAuth access token",
        lastRows: null,
        nextSyncAt: NOW + HOUR_MS,
      });
      expect(await store.spend.getSource(ws.id, src.id)).toMatchObject({
        lastSyncAt: NOW,
        lastError: "(#190) Invalid OAuth access token",
        nextSyncAt: NOW + HOUR_MS,
      });
      expect((await store.spend.listSources(ws.id)).map((s) => s.id)).toEqual([src.id]);
      expect(await store.spend.deleteSource(ws.id, src.id)).toBe(true);
      expect(await store.spend.deleteSource(ws.id, src.id)).toBe(false);
      expect(await store.spend.getSource(ws.id, src.id)).toBeNull();
    });
  });
});
