/**
 * @tally/sdk-node — send server-side conversion events to a Tally server.
 *
 * `Tally` batches, retries with backoff and keeps `event_id`s stable so that nothing is
 * counted twice; the normalization and hashing helpers are the very functions the server
 * uses, for callers who would rather send email and phone already hashed.
 *
 * @example
 * import { Tally, hashEmail } from "@tally/sdk-node";
 *
 * const tally = new Tally({ endpoint: "https://track.example.com", secretKey: process.env.TALLY_SECRET_KEY! });
 * tally.track({ event_name: "Lead", user_data: { email: hashEmail("Jane@Example.com") ?? undefined } });
 * await tally.close();
 */
export { Tally } from "./tally.js";
export type { TallyOptions } from "./options.js";
export type { TallyEvent, TallyUserData, TallyCustomData, ConsentState } from "./event.js";
export type { FlushResult, EventResult } from "./response.js";
export {
  TallyError,
  TallyQueueFullError,
  TallyClosedError,
  TallyApiError,
  TallyNetworkError,
  TallyEventRejectedError,
  type TallyErrorObject,
} from "./errors.js";
export {
  sha256Hex,
  isSha256Hex,
  normalizeEmail,
  normalizeEmailGoogle,
  normalizePhone,
  normalizePhoneMeta,
  phoneDigits,
  normalizeNameMeta,
  normalizeFirstNameGoogle,
  normalizeLastNameGoogle,
  normalizeNameTikTok,
  normalizeCity,
  normalizeState,
  normalizeZip,
  normalizeCountry,
  normalizeGender,
  normalizeDateOfBirth,
  normalizeExternalId,
  hashField,
  hashEmail,
  hashEmailGoogle,
  hashPhone,
  hashPhoneMeta,
  type Normalizer,
} from "@tally/protocol";
