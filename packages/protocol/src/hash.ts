import { googleFormOf, normalizeEmail, normalizeEmailGoogle } from "./email.js";
import { normalizePhone, normalizePhoneMeta } from "./phone.js";
import { isSha256Hex, sha256Hex } from "./sha256.js";

/** A normalizer: raw value (and, for phones, a default country) → normalized value or `null`. */
export type Normalizer = (raw: string, defaultCountry?: string) => string | null;

/**
 * A value that already is a SHA-256 hex digest (padded or not, either case), as every platform
 * client takes it: trimmed and lowercased. `null` for anything else.
 *
 * @example
 * preHashed(" 62A14E…F62F "); // "62a14e…f62f"
 * preHashed("jane@example.com"); // null
 */
export function preHashed(raw: string): string | null {
  const trimmed = raw.trim();
  return isSha256Hex(trimmed) ? trimmed.toLowerCase() : null;
}

/**
 * Hash one identifier for a platform: a value that already is a SHA-256 hex digest is taken
 * as hashed (lowercased, the convention of every platform client), anything else is
 * normalized with `normalize` and hashed. `null` when the value does not normalize.
 *
 * @example
 * hashField(" San Francisco ", normalizeCity); // sha256Hex("sanfrancisco")
 */
export function hashField(raw: string, normalize: Normalizer, defaultCountry?: string): string | null {
  if (typeof raw !== "string") return null;
  const hashed = preHashed(raw);
  if (hashed !== null) return hashed;
  const normalized = normalize(raw, defaultCountry);
  return normalized === null ? null : sha256Hex(normalized);
}

/**
 * Hashed email for Meta, TikTok, LinkedIn, Microsoft and Tally's own storage.
 *
 * @example
 * hashEmail("John_Smith@gmail.com"); // "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
 */
export function hashEmail(raw: string): string | null {
  return hashField(raw, normalizeEmail);
}

/**
 * Hashed email for Google Ads (`hashedEmail`), with the gmail dot and `+tag` rule.
 *
 * @example
 * hashEmailGoogle("Jane.Doe+promo@googlemail.com"); // sha256Hex("janedoe@googlemail.com")
 */
export function hashEmailGoogle(raw: string): string | null {
  return hashField(raw, normalizeEmailGoogle);
}

/**
 * Both hashed forms of one email, normalized once: `em` as {@link hashEmail}, `google` as
 * {@link hashEmailGoogle} (or `em` where that has none: a gmail local part of only dots and a
 * tag). Outside gmail the two forms are one string, hashed once. `null` when the value is not
 * an email address.
 *
 * @example
 * hashEmailForms("Jane.Doe@gmail.com"); // { em: sha256Hex("jane.doe@gmail.com"), google: sha256Hex("janedoe@gmail.com") }
 */
export function hashEmailForms(raw: string): { em: string; google: string } | null {
  if (typeof raw !== "string") return null;
  const hashed = preHashed(raw);
  if (hashed !== null) return { em: hashed, google: hashed };
  const email = normalizeEmail(raw);
  if (email === null) return null;
  const em = sha256Hex(email);
  const google = googleFormOf(email);
  return { em, google: google === null || google === email ? em : sha256Hex(google) };
}

/**
 * Hashed phone for Google Ads and TikTok: SHA-256 of E.164 with the `+`.
 *
 * @example
 * hashPhone("(650)555-1212", "US"); // sha256Hex("+16505551212")
 */
export function hashPhone(raw: string, defaultCountry?: string): string | null {
  return hashField(raw, normalizePhone, defaultCountry);
}

/**
 * Hashed phone for Meta and Microsoft: SHA-256 of the E.164 digits without the `+`.
 *
 * @example
 * hashPhoneMeta("(650)555-1212", "US"); // "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
 */
export function hashPhoneMeta(raw: string, defaultCountry?: string): string | null {
  return hashField(raw, normalizePhoneMeta, defaultCountry);
}
