/**
 * The spend sources' scheduler over a real SQLite store and an injected HTTP client: a due
 * source is pulled without being asked, a refused one records the platform's error and is
 * pulled again once its interval has passed, and a platform asking for a long wait is not
 * asked again before it.
 */
import { SQLITE_WRITER_ENTRY } from "../open-store.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpAnswer, HttpRequest } from "../destinations/types.js";
import { newId } from "../domain/ids.js";
import { HOUR_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { createLogger } from "../monitoring/logger.js";
import { createCipher } from "../security/cipher.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { SpendHub } from "./spend-hub.js";
import { createSpendSync } from "./spend-sync.js";

const cipher = createCipher("ab".repeat(32));
let dir: string;
let store: SqliteStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tally-spend-sync-"));
  store = new SqliteStore({
    path: join(dir, "t.db"),
    synchronous: "normal",
    dedupWindowMs: 7 * 86_400_000,
    maxGroupWeight: 500,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** TikTok's report answer: one row per ad of `ads` (id, spend, name), all of campaign 1 "Spring" on `date`. */
const tiktokAds = (date: string, ads: [id: string, spend: string, name: string][]): HttpAnswer => ({
  kind: "response",
  status: 200,
  headers: {},
  text: JSON.stringify({
    code: 0,
    message: "OK",
    data: {
      list: ads.map(([id, spend, name]) => ({
        dimensions: { ad_id: id, stat_time_day: `${date} 00:00:00` },
        metrics: {
          spend,
          impressions: "100",
          clicks: "3",
          campaign_id: "1",
          campaign_name: "Spring",
          ad_name: name,
        },
      })),
      page_info: { page: 1, total_page: 1 },
    },
  }),
});

const tiktokOk = (date: string): HttpAnswer => tiktokAds(date, [["9", "12.50", "A"]]);

async function setup(answers: (req: HttpRequest) => HttpAnswer, t0: number, upsertRows?: number) {
  const ws = await store.createWorkspace(
    { name: "Shop", currency: "USD", timezone: "UTC" },
    { publicKey: newId("pk"), secretKeyHash: newId("h") },
    standardActions(),
  );
  const id = newId("src");
  await store.spend.createSource({
    id,
    workspaceId: ws.id,
    type: "tiktok",
    name: "TikTok",
    configEnc: cipher.encrypt(
      JSON.stringify({
        type: "tiktok",
        advertiser_id: "7",
        access_token: "t",
        endpoint: "https://tt.example",
      }),
    ),
    intervalMinutes: 60,
    createdAt: t0,
    lastSyncAt: null,
    lastError: null,
    lastRows: null,
    nextSyncAt: t0,
  });
  const clock = { now: t0 };
  const sent: HttpRequest[] = [];
  const heard: number[] = [];
  const hub = new SpendHub();
  hub.subscribe((_ws, rows) => heard.push(rows.length));
  const sync = createSpendSync({
    store,
    cipher,
    logger: createLogger("silent"),
    hub,
    send: (req) => {
      sent.push(req);
      return Promise.resolve(answers(req));
    },
    tickMs: 20,
    now: () => clock.now,
    sleep: () => Promise.resolve(),
    ...(upsertRows !== undefined ? { upsertRows } : {}),
  });
  return { ws, id, clock, sent, heard, sync };
}

const until = async (check: () => Promise<boolean> | boolean) => {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
};

describe("spend sync scheduler", () => {
  it("pulls a due source by itself, stores its rows and tells the hub", async () => {
    const t0 = Date.now();
    const today = new Date(t0).toISOString().slice(0, 10);
    const { ws, id, sent, heard, sync } = await setup(() => tiktokOk(today), t0);
    sync.start();
    await until(async () => (await store.spend.getSource(ws.id, id))?.lastSyncAt != null);
    await sync.stop();
    expect(sent[0]!.method).toBe("GET");
    expect(sent[0]!.headers["access-token"]).toBe("t");
    expect(await store.spend.getSource(ws.id, id)).toMatchObject({
      lastError: null,
      lastRows: 1,
      nextSyncAt: t0 + HOUR_MS,
    });
    expect(heard).toEqual([1]);
    const t = await store.spend.totals(ws.id, {
      fromDate: today,
      toDate: today,
      groupBy: "ad",
      perDay: false,
    });
    expect(t).toMatchObject([
      { platform: "tiktok", campaignName: "Spring", adId: "9", spend: 12.5, account: "7" },
    ]);
  });

  it("stores a pull larger than one store operation whole, a chunk at a time", async () => {
    const t0 = Date.now();
    const today = new Date(t0).toISOString().slice(0, 10);
    const ads = ["1", "2", "3", "4", "5"];
    const { ws, id, heard, sync } = await setup(
      () =>
        tiktokAds(
          today,
          ads.map((ad) => [ad, "1.00", ad]),
        ),
      t0,
      2,
    );
    // The real store's upsert, watched: how many rows each operation carried.
    const upsert = store.spend.upsert.bind(store.spend);
    const carried: number[] = [];
    store.spend.upsert = (rows, now) => (carried.push(rows.length), upsert(rows, now));
    try {
      sync.start();
      await until(async () => (await store.spend.getSource(ws.id, id))?.lastSyncAt != null);
      await sync.stop();
    } finally {
      store.spend.upsert = upsert;
    }
    expect(carried).toEqual([2, 2, 1]);
    expect(await store.spend.getSource(ws.id, id)).toMatchObject({ lastError: null, lastRows: 5 });
    expect(heard).toEqual([5]);
    const t = await store.spend.totals(ws.id, {
      fromDate: today,
      toDate: today,
      groupBy: "ad",
      perDay: false,
    });
    expect(t.map((r) => r.adId).sort()).toEqual(ads);
  });

  it("records a refusal and pulls again once the interval has passed; nothing else stops", async () => {
    const t0 = Date.now();
    let refuse = true;
    const { ws, id, clock, sent, sync } = await setup(
      () =>
        refuse
          ? {
              kind: "response",
              status: 200,
              headers: {},
              text: '{"code":40105,"message":"The access token is invalid or has been revoked."}',
            }
          : tiktokOk(new Date(t0).toISOString().slice(0, 10)),
      t0,
    );
    sync.start();
    await until(async () => (await store.spend.getSource(ws.id, id))?.lastError != null);
    expect(await store.spend.getSource(ws.id, id)).toMatchObject({
      lastError: "TikTok code 40105: The access token is invalid or has been revoked.",
      nextSyncAt: t0 + HOUR_MS,
    });
    const asked = sent.length;
    await new Promise((r) => setTimeout(r, 100)); // several ticks: not due yet
    expect(sent.length).toBe(asked);
    refuse = false;
    clock.now = t0 + HOUR_MS;
    await until(async () => (await store.spend.getSource(ws.id, id))?.lastError === null);
    await sync.stop();
    expect(await store.spend.getSource(ws.id, id)).toMatchObject({ lastError: null, lastRows: 1 });
  });

  it("waits as long as the platform asks before the next pull", async () => {
    const t0 = Date.now();
    const { ws, id, sync } = await setup(
      () => ({ kind: "response", status: 429, headers: { "retry-after": "7200" }, text: "{}" }),
      t0,
    );
    const outcome = await sync.syncNow((await store.spend.getSource(ws.id, id))!);
    expect(outcome).toMatchObject({ ok: false, nextSyncAt: t0 + 2 * HOUR_MS });
    expect(outcome.error).toMatch(/TikTok answered 429/);
  });
});
