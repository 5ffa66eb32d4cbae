/**
 * Longest raw value any normalizer looks at. Nothing a person types into a form field is
 * longer; anything longer is garbage or an attack, and refusing it bounds the work per field.
 */
export const MAX_RAW_LENGTH = 1024;

/**
 * The common first step of every normalizer: a string (callers may be typed loosely, so
 * anything else is refused), not absurdly long, trimmed, in Unicode NFC so that "é" typed as
 * one or two code points hashes the same. `null` when nothing is left.
 */
export function cleanInput(raw: unknown, maxLength = MAX_RAW_LENGTH): string | null {
  if (typeof raw !== "string" || raw.length > maxLength) return null;
  const s = raw.normalize("NFC").trim();
  return s === "" ? null : s;
}
