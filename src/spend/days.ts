/**
 * Calendar days in a workspace's timezone: spend is reported per day (`date`), and a report
 * over [from, to) takes the days whose start falls inside it. Pure (Intl only).
 */
import { DAY_MS } from "../domain/time.js";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

function wallClock(ms: number, tz: string): { y: number; m: number; d: number; utcLike: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(ms))
    if (part.type !== "literal") p[part.type] = Number(part.value);
  const y = p.year!;
  const m = p.month!;
  const d = p.day!;
  return { y, m, d, utcLike: Date.UTC(y, m - 1, d, p.hour, p.minute, p.second) };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** The day (YYYY-MM-DD) that `ms` falls on in `tz`. */
export function dateOf(ms: number, tz: string): string {
  const w = wallClock(ms, tz);
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}`;
}

/** A real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function isDate(s: unknown): s is string {
  if (typeof s !== "string") return false;
  const m = DATE.exec(s);
  if (!m) return false;
  const t = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return t.toISOString().slice(0, 10) === s;
}

/** The day after `date`. */
export function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

/** When `date` starts in `tz` (unix ms); a day that starts in a DST gap starts at its first instant. */
export function dayStart(date: string, tz: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const offset = (ms: number) => wallClock(ms, tz).utcLike - ms;
  const first = offset(guess);
  let t = guess - first;
  const second = offset(t);
  if (second !== first) t = guess - second;
  // Midnight inside a DST gap: the day starts at the first instant that is on it.
  while (dateOf(t, tz) < date) t += 15 * 60_000;
  return t;
}

/**
 * The days whose start is in [from, to) (null: unbounded), as an inclusive range of dates;
 * `fromDate > toDate` when there are none.
 *
 * @example
 * daysStartingIn(Date.parse("2026-03-01T00:00:00Z"), Date.parse("2026-03-08T00:00:00Z"), "UTC");
 * // { fromDate: "2026-03-01", toDate: "2026-03-07" }
 */
export function daysStartingIn(
  from: number | null,
  to: number | null,
  tz: string,
): { fromDate: string; toDate: string } {
  let fromDate = "0000-01-01";
  if (from !== null) {
    fromDate = dateOf(from, tz);
    if (dayStart(fromDate, tz) < from) fromDate = nextDate(fromDate);
  }
  const toDate = to === null ? "9999-12-31" : dateOf(to - 1, tz);
  return { fromDate, toDate };
}

/** The days that [from, to) overlaps, inclusive. */
export function daysOverlapping(from: number, to: number, tz: string): { fromDate: string; toDate: string } {
  return { fromDate: dateOf(from, tz), toDate: dateOf(Math.max(from, to - 1), tz) };
}
