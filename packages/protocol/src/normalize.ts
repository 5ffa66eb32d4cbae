/**
 * Normalization and SHA-256 hashing of personal identifiers, shared by the Tally server and
 * its SDKs so that both hash a value the same way. Pure functions, no I/O; the only Node
 * module used is node:crypto.
 *
 * Each function implements one platform rule from `platform-apis.md` §7 (Meta, Google Ads,
 * TikTok, LinkedIn, Microsoft); Tally stores identifiers hashed with the Meta/TikTok email
 * rule and E.164 phone. A normalizer returns `null` for a value that cannot be made into a
 * plausible one — such a value is not sent, never sent half-normalized.
 *
 * @example
 * import { hashEmail, hashPhone } from "./normalize.js";
 * hashEmail("  Jane.Doe@Example.com "); // sha256Hex("jane.doe@example.com")
 * hashPhone("07700 900123", "GB"); // sha256Hex("+447700900123")
 */
export { sha256Hex, isSha256Hex } from "./sha256.js";
export { normalizeEmail, normalizeEmailGoogle, googleFormOf } from "./email.js";
export { normalizePhone, normalizePhoneMeta, phoneDigits } from "./phone.js";
export {
  normalizeNameMeta,
  normalizeFirstNameGoogle,
  normalizeLastNameGoogle,
  normalizeNameTikTok,
} from "./name.js";
export { normalizeCity, normalizeState, normalizeZip, normalizeCountry } from "./location.js";
export { normalizeGender, normalizeDateOfBirth, normalizeExternalId } from "./person.js";
export {
  hashField,
  hashEmail,
  hashEmailGoogle,
  hashEmailForms,
  preHashed,
  hashPhone,
  hashPhoneMeta,
  type Normalizer,
} from "./hash.js";
