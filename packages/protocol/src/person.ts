import { cleanInput } from "./input.js";

const FEMALE = new Set(["f", "female", "w", "woman"]);
const MALE = new Set(["m", "male", "man"]);
const DATE = /^(\d{4})[-/.]?(\d{2})[-/.]?(\d{2})(?:[T ].*)?$/u;

/**
 * Gender as Meta hashes it (`ge`): `f` or `m`; `null` for anything else, which is simply not
 * sent.
 *
 * @example
 * normalizeGender("Female"); // "f"
 */
export function normalizeGender(raw: string): string | null {
  const s = cleanInput(raw, 64)?.toLowerCase();
  if (s === undefined) return null;
  if (FEMALE.has(s)) return "f";
  return MALE.has(s) ? "m" : null;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/**
 * Date of birth as Meta hashes it (`db`): `YYYYMMDD`. Accepts year-first dates
 * (`1990-07-04`, `1990/07/04`, `19900704`, an ISO date-time); day-first and month-first
 * forms are ambiguous and give `null`, as do impossible dates and years before 1900.
 *
 * @example
 * normalizeDateOfBirth("1990-07-04"); // "19900704"
 * normalizeDateOfBirth("07/04/1990"); // null
 */
export function normalizeDateOfBirth(raw: string): string | null {
  const m = DATE.exec(cleanInput(raw, 64) ?? "");
  if (m === null) return null;
  const [, y = "", mo = "", d = ""] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return `${y}${mo}${d}`;
}

/**
 * External (CRM) id as Meta's param-builder and TikTok integrations hash it: lowercase with
 * all whitespace removed. (Whether Meta wants it lowercased is unconfirmed; the shared
 * vectors follow the param-builder.)
 *
 * @example
 * normalizeExternalId(" Cust-12345 "); // "cust-12345"
 */
export function normalizeExternalId(raw: string): string | null {
  const s = cleanInput(raw);
  return s === null ? null : s.toLowerCase().replace(/\s+/gu, "");
}
