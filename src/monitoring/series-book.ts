/**
 * The detectors' memory: each workspace's series in 10-second slots over the last hours (fed
 * from `series_10s`, the last slot judged read again with each new one: counts are set, never
 * added, so reading a slot twice is harmless; kept as running totals, so any window's sum is two
 * lookups), and the same hour of past weeks (from `series_hour`).
 * Pure data structure, no I/O: the monitor feeds it.
 */
import { HOUR_MS, DAY_MS } from "../domain/time.js";
import type { SeriesRow } from "./rollups.js";
import { SLOT_MS } from "./series.js";

/** How many past weeks of the same hour make the seasonal baseline. */
export const BASELINE_WEEKS = 4;

export interface Baseline {
  /** Expected count in one window. */
  expected: number;
  source: "same_hour_of_week" | "recent";
}

/**
 * The expected count of one window as a range: the baseline's mean rate, and — for a recent
 * baseline — its linear trend carried to the window's middle (the rate of the baseline's later
 * half, plus its change from the earlier half, scaled by the distance). A daily cycle moves the
 * rate by a quarter in an hour at its quiet end, so a mean over the hour before lags the window;
 * a drop is judged against the lower end, a spike against the upper one.
 */
export interface BaselineRange extends Baseline {
  low: number;
  high: number;
}

/**
 * One series' slots as running totals: the starts of the slots that have a count (ascending),
 * and beside each the total of every count up to and including it. The sum over any range is
 * then two binary searches and a subtraction, whatever its length, instead of a walk over its
 * slots: a tick reads each window and baseline at O(log n), and the book costs nothing for
 * the slots that are empty. A slot re-read with the same count changes nothing; a changed count
 * (a late commit: only the newest slots) moves the totals after it.
 */
class KeySeries {
  /** Slot starts, ascending, from `head` on (before it: pruned, kept until compaction). */
  starts: number[] = [];
  /** cum[i] = the sum of the counts of every slot up to starts[i], since the book began. */
  cum: number[] = [];
  head = 0;
  /** The total of everything pruned or compacted away before starts[head]. */
  base = 0;

  get empty(): boolean {
    return this.head >= this.starts.length;
  }

  /** Index of the first slot at or after `t` (in [head, length]). */
  private lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The sum of the counts of every slot before `t`. */
  private before(t: number): number {
    const i = this.lowerBound(t);
    return i === this.head ? this.base : this.cum[i - 1]!;
  }

  sum(from: number, to: number): number {
    if (to <= from || this.empty) return 0;
    return this.before(to) - this.before(from);
  }

  count(start: number): number {
    const i = this.lowerBound(start);
    if (i >= this.starts.length || this.starts[i] !== start) return 0;
    return this.cum[i]! - (i === this.head ? this.base : this.cum[i - 1]!);
  }

  /** Sets a slot's count; returns whether anything changed. */
  set(start: number, count: number): boolean {
    const n = this.starts.length;
    const last = n > this.head ? this.starts[n - 1]! : -Infinity;
    if (start > last) {
      if (count === 0) return false;
      this.starts.push(start);
      this.cum.push((n > this.head ? this.cum[n - 1]! : this.base) + count);
      return true;
    }
    const i = this.lowerBound(start);
    if (i < n && this.starts[i] === start) {
      const delta = count - this.count(start);
      if (delta === 0) return false;
      for (let j = i; j < n; j++) this.cum[j]! += delta;
      return true;
    }
    // A slot older than the newest one that had no count yet (rare: a late commit).
    if (count === 0) return false;
    const prev = i === this.head ? this.base : this.cum[i - 1]!;
    this.starts.splice(i, 0, start);
    this.cum.splice(i, 0, prev + count);
    for (let j = i + 1; j <= n; j++) this.cum[j]! += count;
    return true;
  }

  /** Forgets the slots before `t`. */
  prune(t: number): void {
    const i = this.lowerBound(t);
    if (i === this.head) return;
    this.base = this.cum[i - 1]!;
    this.head = i;
    if (this.head > 256 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.cum = this.cum.slice(this.head);
      this.head = 0;
    }
  }
}

class WorkspaceSeries {
  readonly series = new Map<string, KeySeries>();
  /** The earliest slot with any data seen since the monitor started. */
  firstSlot = Infinity;
  /** The hour (start, ms) the seasonal rates are for, and the mean count per hour by key. */
  seasonHour = -1;
  seasonWeeks = 0;
  readonly season = new Map<string, number>();
  /** keys(prefix) answers, until a key comes or goes. */
  readonly prefixed = new Map<string, readonly string[]>();

  set(start: number, key: string, count: number): void {
    let m = this.series.get(key);
    if (!m) {
      if (count === 0) return;
      this.series.set(key, (m = new KeySeries()));
      this.prefixed.clear();
    }
    m.set(start, count);
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

  has(workspaceId: string): boolean {
    return this.ws.has(workspaceId);
  }

  private of(workspaceId: string): WorkspaceSeries {
    let w = this.ws.get(workspaceId);
    if (!w) this.ws.set(workspaceId, (w = new WorkspaceSeries()));
    return w;
  }

  /** Rows of `series_10s` read since `since` (counts as they stand now). */
  load(rows: readonly SeriesRow[], since: number): void {
    this.loadedFrom = Math.min(this.loadedFrom, since);
    let last: WorkspaceSeries | null = null;
    let lastId = "";
    for (const r of rows) {
      if (last === null || r.workspaceId !== lastId) {
        last = this.of(r.workspaceId);
        lastId = r.workspaceId;
      }
      last.set(r.start, r.key, r.count);
    }
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
      if (w.season.size > 0) w.prefixed.clear();
      w.season.clear();
    }
    for (const [id, m] of sums) {
      const w = this.of(id);
      w.seasonHour = hour;
      w.seasonWeeks = weeks.get(id)?.size ?? 0;
      for (const [k, v] of m) w.season.set(k, v / w.seasonWeeks);
      w.prefixed.clear();
    }
  }

  /** Forgets slots before `before`, and workspaces left with nothing. */
  prune(before: number): void {
    for (const [id, w] of this.ws) {
      for (const [k, m] of w.series) {
        m.prune(before);
        if (m.empty) {
          w.series.delete(k);
          w.prefixed.clear();
        }
      }
      if (w.series.size === 0 && w.seasonWeeks === 0) this.ws.delete(id);
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

  /** Keys starting with `prefix` that have any slot or a seasonal rate (cached: do not change it). */
  keys(prefix: string): readonly string[] {
    const cached = this.w.prefixed.get(prefix);
    if (cached) return cached;
    const out: string[] = [];
    for (const k of this.w.series.keys()) if (k.startsWith(prefix)) out.push(k);
    for (const k of this.w.season.keys()) if (k.startsWith(prefix) && !this.w.series.has(k)) out.push(k);
    this.w.prefixed.set(prefix, out);
    return out;
  }

  /** Sum of a series over [from, to) (slot-aligned): two lookups in its running totals. */
  sum(key: string, from: number, to: number): number {
    const m = this.w.series.get(key);
    return m ? m.sum(from, to) : 0;
  }

  /** Sum over the window ending at `end`. */
  window(key: string, windowMs: number): number {
    return this.sum(key, this.end - windowMs, this.end);
  }

  /** Counts of each slot of the window, oldest first. */
  slotsOf(key: string, windowMs: number): number[] {
    const n = Math.round(windowMs / SLOT_MS);
    const out = new Array<number>(n).fill(0);
    const m = this.w.series.get(key);
    if (!m) return out;
    const from = this.end - windowMs;
    for (let i = 0; i < n; i++) out[i] = m.count(from + i * SLOT_MS);
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

  /** `baseline` with the range its recent trend allows (a seasonal baseline has none). */
  baselineRange(key: string, windowMs: number, baselineMs: number): BaselineRange | null {
    const base = this.baseline(key, windowMs, baselineMs);
    if (!base) return null;
    const half = Math.floor(baselineMs / 2 / SLOT_MS) * SLOT_MS;
    if (base.source !== "recent" || half < SLOT_MS) return { ...base, low: base.expected, high: base.expected };
    const to = this.end - windowMs;
    const early = this.sum(key, to - 2 * half, to - half) / half;
    const late = this.sum(key, to - half, to) / half;
    // Rates per ms at the halves' middles; the window's middle is (half + W) / 2 after the later one.
    const trend = Math.max(0, (late + ((late - early) * (half + windowMs)) / 2 / half) * windowMs);
    return { ...base, low: Math.min(base.expected, trend), high: Math.max(base.expected, trend) };
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
