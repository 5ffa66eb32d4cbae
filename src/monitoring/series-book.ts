/**
 * The detectors' memory: each workspace's series in 10-second slots over the last hours (fed
 * from `series_10s`, re-read for the newest slots on every tick: counts are set, never added,
 * so reading a slot twice is harmless), and the same hour of past weeks (from `series_hour`).
 * Pure data structure, no I/O: the monitor feeds it.
 */
import { HOUR_MS, DAY_MS, MINUTE_MS } from "../domain/time.js";
import type { SeriesRow } from "./rollups.js";
import { SLOT_MS } from "./series.js";

/** How many past weeks of the same hour make the seasonal baseline. */
export const BASELINE_WEEKS = 4;

export interface Baseline {
  /** Expected count in one window. */
  expected: number;
  source: "same_hour_of_week" | "recent";
}

class WorkspaceSeries {
  /** key → slot start → count */
  readonly slots = new Map<string, Map<number, number>>();
  /** key → minute start → the sum of its slots: long sums read minutes, not slots. */
  readonly minutes = new Map<string, Map<number, number>>();
  /** The earliest slot with any data seen since the monitor started. */
  firstSlot = Infinity;
  /** The hour (start, ms) the seasonal rates are for, and the mean count per hour by key. */
  seasonHour = -1;
  seasonWeeks = 0;
  readonly season = new Map<string, number>();

  set(start: number, key: string, count: number): void {
    let m = this.slots.get(key);
    if (!m) this.slots.set(key, (m = new Map<number, number>()));
    const before = m.get(start) ?? 0;
    m.set(start, count);
    let mm = this.minutes.get(key);
    if (!mm) this.minutes.set(key, (mm = new Map<number, number>()));
    const minute = start - (start % MINUTE_MS);
    mm.set(minute, (mm.get(minute) ?? 0) + count - before);
    if (count > 0 && start < this.firstSlot) this.firstSlot = start;
  }
}

export class SeriesBook {
  private readonly ws = new Map<string, WorkspaceSeries>();
  /** Where the book's knowledge starts: nothing before it was read. */
  private loadedFrom = Infinity;

  constructor(private readonly horizonMs: number) {}

  workspaces(): IterableIterator<string> {
    return this.ws.keys();
  }

  private of(workspaceId: string): WorkspaceSeries {
    let w = this.ws.get(workspaceId);
    if (!w) this.ws.set(workspaceId, (w = new WorkspaceSeries()));
    return w;
  }

  /** Rows of `series_10s` read since `since` (counts as they stand now). */
  load(rows: readonly SeriesRow[], since: number): void {
    this.loadedFrom = Math.min(this.loadedFrom, since);
    for (const r of rows) this.of(r.workspaceId).set(r.start, r.key, r.count);
  }

  /** Rows of `series_hour` for the hour starting at `hour`, from the same hour of past weeks. */
  loadSeason(hour: number, rows: readonly SeriesRow[]): void {
    const weeks = new Map<string, Set<number>>();
    const sums = new Map<string, Map<string, number>>();
    for (const r of rows) {
      let s = weeks.get(r.workspaceId);
      if (!s) weeks.set(r.workspaceId, (s = new Set()));
      s.add(r.start);
      let m = sums.get(r.workspaceId);
      if (!m) sums.set(r.workspaceId, (m = new Map<string, number>()));
      m.set(r.key, (m.get(r.key) ?? 0) + r.count);
    }
    for (const w of this.ws.values()) {
      w.seasonHour = hour;
      w.seasonWeeks = 0;
      w.season.clear();
    }
    for (const [id, m] of sums) {
      const w = this.of(id);
      w.seasonHour = hour;
      w.seasonWeeks = weeks.get(id)?.size ?? 0;
      for (const [k, v] of m) w.season.set(k, v / w.seasonWeeks);
    }
  }

  /** Forgets slots before `before`, and workspaces left with nothing. */
  prune(before: number): void {
    for (const [id, w] of this.ws) {
      for (const [k, m] of w.slots) {
        for (const s of m.keys()) {
          if (s >= before) break; // insertion order is time order: the oldest come first
          m.delete(s);
        }
        if (m.size === 0) w.slots.delete(k);
      }
      for (const [k, m] of w.minutes) {
        for (const s of m.keys()) {
          if (s + MINUTE_MS > before) break;
          m.delete(s);
        }
        if (m.size === 0) w.minutes.delete(k);
      }
      if (w.slots.size === 0 && w.seasonWeeks === 0) this.ws.delete(id);
    }
  }

  /** A read-only view of one workspace at `end` (exclusive: the first slot not complete yet). */
  view(workspaceId: string, end: number): SeriesView {
    return new SeriesView(this.ws.get(workspaceId) ?? new WorkspaceSeries(), end, this.loadedFrom);
  }

  get horizon(): number {
    return this.horizonMs;
  }
}

export class SeriesView {
  constructor(
    private readonly w: WorkspaceSeries,
    /** Exclusive end of the last complete slot. */
    readonly end: number,
    private readonly loadedFrom: number,
  ) {}

  /** Keys starting with `prefix` that have any slot. */
  keys(prefix: string): string[] {
    const out: string[] = [];
    for (const k of this.w.slots.keys()) if (k.startsWith(prefix)) out.push(k);
    for (const k of this.w.season.keys()) if (k.startsWith(prefix) && !this.w.slots.has(k)) out.push(k);
    return out;
  }

  /** Sum of a series over [from, to) (slot-aligned): whole minutes from the minute sums. */
  sum(key: string, from: number, to: number): number {
    const m = this.w.slots.get(key);
    if (!m) return 0;
    const mm = this.w.minutes.get(key);
    let n = 0;
    let s = from - (from % SLOT_MS);
    while (s < to) {
      if (mm && s % MINUTE_MS === 0 && s + MINUTE_MS <= to) {
        n += mm.get(s) ?? 0;
        s += MINUTE_MS;
      } else {
        n += m.get(s) ?? 0;
        s += SLOT_MS;
      }
    }
    return n;
  }

  /** Sum over the window ending at `end`. */
  window(key: string, windowMs: number): number {
    return this.sum(key, this.end - windowMs, this.end);
  }

  /** Counts of each slot of the window, oldest first. */
  slotsOf(key: string, windowMs: number): number[] {
    const n = Math.round(windowMs / SLOT_MS);
    const out = new Array<number>(n).fill(0);
    const m = this.w.slots.get(key);
    if (!m) return out;
    const from = this.end - windowMs;
    for (let i = 0; i < n; i++) out[i] = m.get(from + i * SLOT_MS) ?? 0;
    return out;
  }

  /**
   * The workspace has history enough for a baseline: the same hour of past weeks when the
   * workspace had data then, else a recent period it was watched over in full.
   */
  hasSeason(): boolean {
    return this.w.seasonWeeks > 0 && this.w.seasonHour === this.end - (this.end % HOUR_MS);
  }

  hasRecent(windowMs: number, baselineMs: number): boolean {
    const from = this.end - windowMs - baselineMs;
    return this.w.firstSlot <= from && this.loadedFrom <= from;
  }

  /** The expected count of `key` in one window, or null when there is no history to say. */
  baseline(key: string, windowMs: number, baselineMs: number): Baseline | null {
    if (this.hasSeason())
      return { expected: ((this.w.season.get(key) ?? 0) * windowMs) / HOUR_MS, source: "same_hour_of_week" };
    if (baselineMs <= 0 || !this.hasRecent(windowMs, baselineMs)) return null;
    const to = this.end - windowMs;
    return { expected: (this.sum(key, to - baselineMs, to) * windowMs) / baselineMs, source: "recent" };
  }

  /** The baseline period's total of `key` (recent period, or the season's mean hour). */
  baselineTotal(key: string, windowMs: number, baselineMs: number): number | null {
    if (this.hasSeason()) return this.w.season.get(key) ?? 0;
    if (baselineMs <= 0 || !this.hasRecent(windowMs, baselineMs)) return null;
    const to = this.end - windowMs;
    return this.sum(key, to - baselineMs, to);
  }
}

/** Hour starts of the same hour of the week in the last `BASELINE_WEEKS` weeks. */
export function seasonHours(hour: number): number[] {
  return Array.from({ length: BASELINE_WEEKS }, (_, i) => hour - (i + 1) * 7 * DAY_MS);
}
