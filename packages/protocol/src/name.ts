import { cleanInput } from "./input.js";

/**
 * Punctuation to drop from names: ASCII punctuation and symbols (the set Meta's param-builder
 * strips) plus any Unicode punctuation, so a typographic "O’Brien" matches "O'Brien".
 */
const PUNCTUATION = /[\p{P}!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/gu;
const GOOGLE_PREFIXES = new Set(["mr", "mrs", "ms", "miss", "mx", "dr", "prof"]);
const GOOGLE_SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv"]);

/** Lowercase, no punctuation, single spaces between words. */
function words(raw: string): string[] | null {
  const s = cleanInput(raw);
  if (s === null) return null;
  const parts = s.toLowerCase().replace(PUNCTUATION, "").split(/\s+/u).filter(Boolean);
  return parts.length === 0 ? null : parts;
}

/**
 * First or last name as Meta hashes it (`fn`, `ln`): lowercase, no whitespace, no
 * punctuation, non-Latin letters kept as they are (NFC).
 *
 * @example
 * normalizeNameMeta(" Valéry "); // "valéry"
 * normalizeNameMeta("O'Brien-Smith"); // "obriensmith"
 * normalizeNameMeta("Mary Ann"); // "maryann"
 */
export function normalizeNameMeta(raw: string): string | null {
  return words(raw)?.join("") ?? null;
}

/**
 * First name as Google Ads hashes it (`hashed_first_name`): lowercase, no punctuation, inner
 * spaces collapsed to one (Google's proto text: "remove extra spaces … in between"), and a
 * leading title such as "Mrs." dropped when a name follows it.
 *
 * @example
 * normalizeFirstNameGoogle("  Mary   Ann "); // "mary ann"
 * normalizeFirstNameGoogle("Mrs. Jane"); // "jane"
 */
export function normalizeFirstNameGoogle(raw: string): string | null {
  const parts = words(raw);
  if (parts === null) return null;
  if (parts.length > 1 && GOOGLE_PREFIXES.has(parts[0] ?? "")) parts.shift();
  return parts.join(" ");
}

/**
 * Last name as Google Ads hashes it (`hashed_last_name`): lowercase, no punctuation, inner
 * spaces collapsed to one, and a trailing suffix such as "Jr." dropped when a name precedes it.
 *
 * @example
 * normalizeLastNameGoogle("O'Brien-Smith"); // "obriensmith"
 * normalizeLastNameGoogle("King Jr."); // "king"
 */
export function normalizeLastNameGoogle(raw: string): string | null {
  const parts = words(raw);
  if (parts === null) return null;
  if (parts.length > 1 && GOOGLE_SUFFIXES.has(parts[parts.length - 1] ?? "")) parts.pop();
  return parts.join(" ");
}

/**
 * First or last name as TikTok's Events API is fed by the maintained integrations: lowercase,
 * all whitespace removed; punctuation is kept (TikTok's own text is unconfirmed).
 *
 * @example
 * normalizeNameTikTok(" Valéry "); // "valéry"
 */
export function normalizeNameTikTok(raw: string): string | null {
  const s = cleanInput(raw);
  return s === null ? null : s.toLowerCase().replace(/\s+/gu, "");
}
