/** Parsing and formatting of times as the contract states them. */

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A time given as unix seconds (number or numeric string), unix milliseconds (a number above
 * 1e11, which as seconds would be past the year 5000), or ISO-8601 with a zone.
 * Returns milliseconds since the epoch, or null when it is none of these.
 */
export function parseTime(input: unknown): number | null {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) return null;
    return input > 1e11 ? Math.round(input) : Math.round(input * 1000);
  }
  if (typeof input !== "string" || input.length === 0 || input.length > 40) return null;
  if (/^\d+(\.\d+)?$/.test(input)) return parseTime(Number(input));
  if (!ISO_WITH_ZONE.test(input)) return null;
  const ms = Date.parse(input);
  return Number.isFinite(ms) ? ms : null;
}

/** ISO-8601 UTC with milliseconds, as every time the API writes out. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
