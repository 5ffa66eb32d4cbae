/**
 * The monitor: every tick (5 s), when a 10-second slot has completed since the last judgement
 * (or the rules changed), it reads the new complete slots of `series_10s` and the last one
 * again (one query for every workspace), runs the detectors over each workspace with its
 * settings, and hands the conditions to the alert lifecycle; a tick between two slots has
 * nothing new to judge. Every 30 s it also judges the destinations from their deliveries. The same hour of past weeks is read from `series_hour` when the hour turns.
 * Settings are re-read every tick (one small query), so a change applies within 5 s on every
 * node. The series older than the horizon are forgotten; the tables are purged once an hour.
 *
 * Detection delay: a change is in the series as soon as its transaction commits, and in the
 * book on the next tick after its slot completes: at most the window + 10 s slot + one tick,
 * and usually well within the window (a full drop crosses its line before the window ends).
 */
import type { Logger } from "pino";
import type { Bus } from "../bus.js";
import { ALERT_KINDS, type AlertKind } from "../domain/alert.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../domain/time.js";
import type { Store } from "../storage/storage.js";
import { AlertLifecycle } from "./alert-lifecycle.js";
import {
  DEFAULT_SETTINGS,
  MAX_BASELINE_SECONDS,
  MAX_WINDOW_SECONDS,
  settingsOf,
  type RuleSettings,
} from "./alert-settings.js";
import {
  detectDestinations,
  detectSeries,
  DESTINATION_KINDS,
  SERIES_KINDS,
  type Condition,
  type DestinationWindow,
} from "./detectors/index.js";
import { seasonHours, SeriesBook } from "./series-book.js";
import { SLOT_MS, slotOf } from "./series.js";

export interface MonitorOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  tickMs?: number;
  destinationEveryMs?: number;
  now?: () => number;
}

export interface Monitor {
  start(): Promise<void>;
  stop(): void;
  /** One evaluation now (tests, the bench). */
  tick(): Promise<void>;
}

const HORIZON_MS = (MAX_WINDOW_SECONDS + MAX_BASELINE_SECONDS) * 1000 + 2 * SLOT_MS;
const SLOT_RETENTION_MS = 2 * DAY_MS;
const HOUR_RETENTION_MS = 35 * DAY_MS;

export function createMonitor(opts: MonitorOptions): Monitor {
  const { store, bus, logger } = opts;
  const now = opts.now ?? Date.now;
  const tickMs = opts.tickMs ?? 5000;
  const destinationEveryMs = opts.destinationEveryMs ?? 30_000;
  const book = new SeriesBook(HORIZON_MS);
  const lifecycle = new AlertLifecycle(store.monitoring, (m) => bus.publish(m));
  let settings = new Map<string, Record<AlertKind, RuleSettings>>();
  let defaults = settingsOf({});
  let loadedUntil = 0;
  let seasonHour = -1;
  let rulesAt = 0;
  let rulesFingerprint = "";
  let destinationsAt = 0;
  let purgedAt = 0;
  let prunedAt = 0;
  /** Settings changed since the last judgement: judge again at once. */
  let rulesChanged = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const settingsFor = (ws: string) => settings.get(ws) ?? defaults;

  async function loadRules(t: number): Promise<void> {
    const byWs = new Map<string, Record<string, Record<string, unknown>>>();
    for (const r of await store.monitoring.listAlertRules(null)) {
      const m = byWs.get(r.workspaceId) ?? {};
      m[r.kind] = r.settings;
      byWs.set(r.workspaceId, m);
    }
    const next = new Map([...byWs].map(([ws, s]) => [ws, settingsOf(s)]));
    const fingerprint = JSON.stringify([...byWs]);
    if (fingerprint !== rulesFingerprint) rulesChanged = true;
    rulesFingerprint = fingerprint;
    settings = next;
    defaults = settingsOf({});
    rulesAt = t;
  }

  async function destinationConditions(t: number): Promise<Map<string, Condition[]>> {
    const out = new Map<string, Condition[]>();
    const byWs = new Map<string, { id: string; name: string; type: string }[]>();
    for (const d of await store.listDestinations(null)) {
      const l = byWs.get(d.workspaceId) ?? [];
      l.push(d);
      byWs.set(d.workspaceId, l);
    }
    for (const [ws, list] of byWs) {
      const s = settingsFor(ws);
      const windows = new Map<number, DestinationWindow[]>();
      for (const k of DESTINATION_KINDS) {
        const w = s[k].window_seconds;
        if (windows.has(w) || !s[k].enabled) continue;
        const rows = await store.deliveryStats(ws, t - w * 1000);
        windows.set(
          w,
          list.map((d) => {
            const mine = rows.filter((r) => r.destinationId === d.id);
            const count = (st: string) =>
              mine.filter((r) => r.status === st).reduce((n, r) => n + r.count, 0);
            return {
              id: d.id,
              name: d.name,
              type: d.type,
              delivered: count("delivered"),
              failed: count("failed"),
              dead: count("dead"),
              p95: p95(mine.flatMap((r) => r.latencies)),
              lastError: mine.find((r) => r.lastError !== null)?.lastError ?? null,
            };
          }),
        );
      }
      out.set(
        ws,
        detectDestinations((w) => windows.get(w) ?? [], s),
      );
    }
    return out;
  }

  async function tick(): Promise<void> {
    const t = now();
    // The slot that holds t - 1 s is still filling up: the book judges up to its start.
    const end = slotOf(t - 1000);
    if (t - rulesAt >= tickMs) await loadRules(t);
    // The series are judged when a slot completes (the windows move): a tick between two
    // (ticks are every 5 s, slots 10 s) would read nothing new and judge the same again.
    if (end !== loadedUntil || rulesChanged) {
      // The complete slots only; the last one judged is read again for a late commit.
      const since = loadedUntil === 0 ? end - HORIZON_MS : Math.min(end, loadedUntil) - SLOT_MS;
      book.load(await store.monitoring.seriesSince(since, end), since);
      loadedUntil = end;
      rulesChanged = false;
      const hour = end - (end % HOUR_MS);
      if (hour !== seasonHour) {
        book.loadSeason(hour, await store.monitoring.seriesHours(seasonHours(hour)));
        seasonHour = hour;
      }
      for (const ws of book.workspaces()) {
        const conditions = detectSeries(book.view(ws, end), settingsFor(ws));
        await lifecycle.reconcile(ws, conditions, SERIES_KINDS, t);
      }
      // Alerts of workspaces gone from the book (nothing left in their horizon) resolve.
      for (const ws of [...lifecycle.workspaces()])
        if (!book.has(ws)) await lifecycle.reconcile(ws, [], SERIES_KINDS, t);
    }
    if (t - destinationsAt >= destinationEveryMs) {
      destinationsAt = t;
      const byWs = await destinationConditions(t);
      for (const ws of new Set([...byWs.keys(), ...lifecycle.workspaces()]))
        await lifecycle.reconcile(ws, byWs.get(ws) ?? [], DESTINATION_KINDS, t);
    }
    if (end - prunedAt >= MINUTE_MS) {
      prunedAt = end;
      book.prune(end - HORIZON_MS);
    }
    if (t - purgedAt >= HOUR_MS) {
      purgedAt = t;
      await store.monitoring.purgeSeries(t - SLOT_RETENTION_MS, t - HOUR_RETENTION_MS);
    }
  }

  const guarded = () => {
    running ??= tick()
      .catch((err: unknown) =>
        logger.warn({ err: { message: (err as Error).message } }, "alert check failed"),
      )
      .finally(() => (running = null));
    return running;
  };

  return {
    async start() {
      await lifecycle.init(now());
      timer = setInterval(() => void guarded(), tickMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    tick: guarded,
  };
}

function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

export { ALERT_KINDS, DEFAULT_SETTINGS };
