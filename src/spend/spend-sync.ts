/**
 * Spend sources at work: every `tickMs` the sources that are due are claimed (one node syncs
 * each, see `SpendStore.claimDueSources`) and pulled, each over its last `lookback_days` days
 * (platforms restate them), and `POST /v1/spend-sources/{id}/sync` pulls one at once.
 *
 * A pull that goes through stores its rows (replacing the days it covers) and schedules the
 * next one `interval_minutes` later. One that fails — credentials refused, the platform down
 * past the retries, a rate limit asking for a long wait — records the platform's error on the
 * source (`last_error`, shown by GET) and is tried again on schedule, or after the platform's
 * wait when that is longer; nothing else stops.
 */
import type { Logger } from "pino";
import type { Cipher } from "../security/cipher.js";
import type { Send } from "../destinations/types.js";
import { MINUTE_MS } from "../domain/time.js";
import type { Workspace } from "../domain/workspace.js";
import type { SpendRecord, SpendSourceRecord } from "../storage/spend-store.js";
import type { Store } from "../storage/storage.js";
import { DAY_MS } from "../domain/time.js";
import { dateOf, isDate } from "./days.js";
import { pullSpend, type PullResult } from "./platforms/index.js";
import { accountOf, isSpendSourceType, parseSourceConfig, type SpendSourceConfig } from "./source-config.js";
import type { SpendHub } from "./spend-hub.js";
import { isCurrency } from "./validate-spend.js";

export interface SpendSyncDeps {
  store: Store;
  cipher: Cipher;
  logger: Logger;
  send: Send;
  hub: SpendHub;
  /** How often due sources are looked for (default 30 s). */
  tickMs?: number;
  /** How long a claimed source stays with this node before another may take it (default 10 min). */
  leaseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Rows stored per store operation (default 1,000; see run). */
  upsertRows?: number;
}

export interface SyncOutcome {
  ok: boolean;
  rows: number;
  error: string | null;
  lastSyncAt: number;
  nextSyncAt: number;
}

export interface SpendSync {
  /** Pulls one source now and records the outcome. */
  syncNow(source: SpendSourceRecord): Promise<SyncOutcome>;
  /** Decrypts and checks a stored source's config; null when it cannot be read. */
  configOf(source: SpendSourceRecord): SpendSourceConfig | null;
  start(): void;
  stop(): Promise<void>;
}

/** The first day of a pull of `days` days ending on `until`. */
function firstDay(until: string, days: number): string {
  return new Date(Date.parse(`${until}T00:00:00Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
}

export function createSpendSync(deps: SpendSyncDeps): SpendSync {
  const { store, cipher, logger, hub } = deps;
  const now = deps.now ?? Date.now;
  const tickMs = deps.tickMs ?? 30_000;
  const leaseMs = deps.leaseMs ?? 10 * MINUTE_MS;
  const running = new Map<string, Promise<SyncOutcome>>();
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let stopped = false;

  function configOf(source: SpendSourceRecord): SpendSourceConfig | null {
    if (!isSpendSourceType(source.type)) return null;
    try {
      // Stored as parsed (with its `type`); parsed again so an older shape still reads.
      const { type: _type, ...stored } = JSON.parse(cipher.decrypt(source.configEnc)) as Record<
        string,
        unknown
      >;
      const parsed = parseSourceConfig(source.type, stored);
      return parsed.ok ? parsed.config : null;
    } catch {
      return null;
    }
  }

  async function pull(source: SpendSourceRecord, ws: Workspace, t: number): Promise<PullResult> {
    const config = configOf(source);
    if (!config) return { ok: false, error: "the source's config cannot be read (encryption key changed?)" };
    const until = dateOf(t, ws.timezone);
    return pullSpend(config, {
      send: deps.send,
      now: t,
      since: firstDay(until, config.lookback_days),
      until,
      currency: config.currency ?? ws.currency,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });
  }

  async function run(source: SpendSourceRecord): Promise<SyncOutcome> {
    const t = now();
    const interval = source.intervalMinutes * MINUTE_MS;
    const ws = await store.getWorkspace(source.workspaceId);
    let result: PullResult;
    try {
      result = ws ? await pull(source, ws, t) : { ok: false, error: "the workspace is gone" };
    } catch (err) {
      result = { ok: false, error: `the pull failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (result.ok && ws) {
      const config = configOf(source);
      const account = config ? accountOf(config) : "";
      const records: SpendRecord[] = [];
      for (const r of result.rows) {
        // What a platform sends is checked like any row: a bad one is skipped, never stored.
        if (!isDate(r.date) || !(r.spend >= 0) || !Number.isFinite(r.spend) || !isCurrency(r.currency))
          continue;
        records.push({ ...r, account: r.account || account, workspaceId: ws.id, sourceId: source.id });
      }
      // A large account's pull is tens of thousands of rows (35,000 took SQLite's writer 230–430 ms
      // in one operation, every request's commit waiting): stored a thousand at a time, each its
      // own operation, so a request waits for one of them at most. Upserts by key: a pull cut
      // short is stored whole by the next one.
      const chunk = Math.max(1, deps.upsertRows ?? 1000);
      for (let i = 0; i < records.length; i += chunk)
        await store.spend.upsert(records.slice(i, i + chunk), t);
      const outcome = {
        ok: true,
        rows: records.length,
        error: null,
        lastSyncAt: t,
        nextSyncAt: t + interval,
      };
      await store.spend.recordSync(source.workspaceId, source.id, {
        lastSyncAt: t,
        lastError: null,
        lastRows: records.length,
        nextSyncAt: outcome.nextSyncAt,
      });
      if (records.length > 0) hub.stored(ws.id, records);
      return outcome;
    }
    const error = result.ok ? "the workspace is gone" : result.error;
    const wait = !result.ok && result.retryAfterMs !== undefined ? result.retryAfterMs : 0;
    const next = t + Math.max(interval, wait);
    await store.spend.recordSync(source.workspaceId, source.id, {
      lastSyncAt: t,
      lastError: error,
      lastRows: null,
      nextSyncAt: next,
    });
    logger.warn(
      { source: source.id, type: source.type, err: { message: error } },
      "spend source sync failed",
    );
    return { ok: false, rows: 0, error, lastSyncAt: t, nextSyncAt: next };
  }

  function syncNow(source: SpendSourceRecord): Promise<SyncOutcome> {
    // One pull of a source at a time on this node: a second ask joins the running one.
    const current = running.get(source.id);
    if (current) return current;
    const p = run(source).finally(() => running.delete(source.id));
    running.set(source.id, p);
    return p;
  }

  async function tick(): Promise<void> {
    const due = await store.spend.claimDueSources(now(), leaseMs);
    for (const s of due) {
      if (stopped) return;
      await syncNow(s).catch((err: unknown) =>
        logger.warn({ source: s.id, err: { message: (err as Error).message } }, "spend source sync failed"),
      );
    }
  }

  return {
    syncNow,
    configOf,
    start() {
      stopped = false;
      const go = () => {
        if (ticking || stopped) return;
        ticking = tick()
          .catch((err: unknown) =>
            logger.warn({ err: { message: (err as Error).message } }, "looking for due spend sources failed"),
          )
          .finally(() => (ticking = null));
      };
      timer = setInterval(go, tickMs);
      timer.unref();
      go();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await ticking;
      await Promise.allSettled([...running.values()]);
    },
  };
}
