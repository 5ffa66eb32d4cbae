import { cleanInput } from "./input.js";
import { US_CA_REGION_CODES } from "./us-ca-regions.js";

/** Everything but letters and digits, in any script. */
const NOT_ALPHANUMERIC = /[^\p{L}\p{N}]/gu;

function letterDigits(raw: string): string | null {
  const s = cleanInput(raw);
  if (s === null) return null;
  const out = s.toLowerCase().replace(NOT_ALPHANUMERIC, "");
  return out === "" ? null : out;
}

/**
 * City as Meta hashes it (`ct`): lowercase, no spaces, punctuation or symbols. Letters of
 * any script are kept in UTF-8, as Meta's docs allow; Meta's param-builder would also drop
 * accents ("são paulo" → "sopaulo"), which is lossy and unconfirmed, so Tally does not.
 *
 * @example
 * normalizeCity(" San Francisco "); // "sanfrancisco"
 */
export function normalizeCity(raw: string): string | null {
  return letterDigits(raw);
}

/**
 * State or province as Meta hashes it (`st`): a US state or Canadian province, by name or
 * code, becomes its two-letter code in lowercase; other regions are lowercased with no
 * spaces or punctuation, as Meta's docs say for states outside the US (the param-builder's
 * cut to two characters would turn "Bavaria" into "ba").
 *
 * @example
 * normalizeState("California"); // "ca"
 * normalizeState("CA "); // "ca"
 */
export function normalizeState(raw: string): string | null {
  const key = letterDigits(raw);
  if (key === null) return null;
  return US_CA_REGION_CODES.get(key) ?? key;
}

/**
 * Postal code as Meta hashes it (`zp`): lowercase, the part before a `-` (US ZIP+4 → the
 * five-digit ZIP), spaces and other separators removed, as Meta's docs say ("no spaces and
 * no dash").
 *
 * @example
 * normalizeZip("94105-1234"); // "94105"
 * normalizeZip("SW1A 1AA"); // "sw1a1aa"
 */
export function normalizeZip(raw: string): string | null {
  const s = cleanInput(raw, 64);
  if (s === null) return null;
  const out = (s.split("-")[0] ?? "").toLowerCase().replace(/[^a-z0-9]/gu, "");
  return out === "" ? null : out;
}

/**
 * Country as Meta hashes it (`country`): the ISO-3166-1 alpha-2 code in lowercase; `null` for
 * anything that is not two letters (names and alpha-3 codes are not guessed at).
 *
 * @example
 * normalizeCountry("US"); // "us"
 * normalizeCountry("United States"); // null
 */
export function normalizeCountry(raw: string): string | null {
  const s = cleanInput(raw, 64)?.toLowerCase();
  return s !== undefined && /^[a-z]{2}$/u.test(s) ? s : null;
}
