import { cleanInput } from "./input.js";

/** RFC 5321 caps a forward path at 256 octets including the angle brackets. */
const MAX_EMAIL_LENGTH = 254;
const GOOGLE_MAIL_DOMAINS = new Set(["gmail.com", "googlemail.com"]);

/**
 * Email as Meta, TikTok, LinkedIn and Microsoft hash it: trimmed and lowercased, nothing
 * else. `null` when the value cannot plausibly be an address: no single `@`, an empty local
 * part, a domain without a dot, or whitespace inside.
 *
 * @example
 * normalizeEmail("  John.Smith@Gmail.com "); // "john.smith@gmail.com"
 * normalizeEmail("not an email"); // null
 */
export function normalizeEmail(raw: string): string | null {
  const s = cleanInput(raw, MAX_EMAIL_LENGTH + 64);
  if (s === null || s.length > MAX_EMAIL_LENGTH || /\s/u.test(s)) return null;
  const at = s.indexOf("@");
  if (at <= 0 || at !== s.lastIndexOf("@")) return null;
  const domain = s.slice(at + 1);
  if (!/^[^.]+(\.[^.]+)+$/u.test(domain)) return null;
  return s.toLowerCase();
}

/**
 * Email as Google Ads hashes it: {@link normalizeEmail}, then for `gmail.com` and
 * `googlemail.com` only, every `.` in the local part and a `+tag` are dropped (Google's
 * documented rule; other domains keep dots and tags).
 *
 * @example
 * normalizeEmailGoogle("Jane.Doe+promo@googlemail.com"); // "janedoe@googlemail.com"
 * normalizeEmailGoogle("First.Last+News@example.co.uk"); // "first.last+news@example.co.uk"
 */
export function normalizeEmailGoogle(raw: string): string | null {
  const email = normalizeEmail(raw);
  return email === null ? null : googleFormOf(email);
}

/**
 * The Google form of an email {@link normalizeEmail} already returned: the same string unless
 * its domain is `gmail.com` or `googlemail.com` (then without dots and `+tag` in the local
 * part); `null` when nothing of the local part is left.
 *
 * @example
 * googleFormOf("jane.doe+x@gmail.com"); // "janedoe@gmail.com"
 * googleFormOf("jane.doe@example.com"); // "jane.doe@example.com"
 */
export function googleFormOf(email: string): string | null {
  const at = email.indexOf("@");
  const domain = email.slice(at + 1);
  if (!GOOGLE_MAIL_DOMAINS.has(domain)) return email;
  const local = (email.slice(0, at).split("+")[0] ?? "").replaceAll(".", "");
  return local === "" ? null : `${local}@${domain}`;
}
