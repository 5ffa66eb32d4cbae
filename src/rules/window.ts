/**
 * Window arithmetic for rules: a rule looks at the trailing `window_hours` before now.
 * Conversions, value and clicks count by their time inside [now − window, now). Spend comes
 * in rows per day (in the workspace's timezone): today's row counts in full (it is the spend
 * so far), an earlier day's row by the fraction of its hours inside the window. Pure.
 */
import { HOUR_MS } from "../domain/time.js";

/** The offset of `timeZone` from UTC at `ms`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour") % 24,
    get("minute"),
    get("second"),
  );
  return asUtc - (ms - (ms % 1000));
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local day (`YYYY-MM-DD`) of `ms` in `timeZone`. */
export function localDay(ms: number, timeZone: string): string {
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString().slice(0, 10);
}

/** The instant local midnight of `day` happens in `timeZone` (DST-safe: offsets re-checked). */
function localMidnight(day: string, timeZone: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let guess = utcMidnight - zoneOffsetMs(utcMidnight, timeZone);
  guess = utcMidnight - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** [start, end) of a local day in `timeZone`: 23, 24 or 25 hours long. */
export function dayBounds(day: string, timeZone: string): { start: number; end: number } {
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 36 * HOUR_MS).toISOString().slice(0, 10);
  return { start: localMidnight(day, timeZone), end: localMidnight(next, timeZone) };
}

/**
 * The weight of a spend row of `day` in the window [from, to): 1 for the day of `to` (today),
 * else the fraction of the day's hours inside the window (0 outside it).
 *
 * @example
 * // UTC, window of 24 h ending 2026-03-02T06:00Z: yesterday's row counts 18/24, today's in full.
 * spendWeight("2026-03-01", Date.parse("2026-03-01T06:00Z"), Date.parse("2026-03-02T06:00Z"), "UTC"); // 0.75
 */
export function spendWeight(day: string, from: number, to: number, timeZone: string): number {
  const today = localDay(to - 1, timeZone);
  if (day === today) return 1;
  if (day > today) return 0;
  const { start, end } = dayBounds(day, timeZone);
  const overlap = Math.min(end, to) - Math.max(start, from);
  return overlap <= 0 ? 0 : overlap / (end - start);
}

/** The local days any part of which lies in [from, to): the spend rows a window reads. */
export function daysOf(from: number, to: number, timeZone: string): string[] {
  const first = localDay(from, timeZone);
  const last = localDay(to - 1, timeZone);
  const out: string[] = [];
  for (let d = first; d <= last;) {
    out.push(d);
    d = new Date(Date.parse(`${d}T00:00:00Z`) + 36 * HOUR_MS).toISOString().slice(0, 10);
  }
  return out;
}
