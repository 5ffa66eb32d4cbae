import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from "libphonenumber-js/min";
import { cleanInput } from "./input.js";

/** Longer than any formatted number with an extension; libphonenumber itself stops at 250. */
const MAX_PHONE_LENGTH = 64;
const COUNTRY = /^[A-Z]{2}$/;

function parse(text: string, defaultCountry: CountryCode | undefined): PhoneNumber | undefined {
  return parsePhoneNumberFromString(text, defaultCountry === undefined ? undefined : { defaultCountry });
}

function countryCode(raw: string | undefined): CountryCode | undefined {
  const c = raw?.trim().toUpperCase();
  // libphonenumber's CountryCode is a union of literals; an unknown code parses as "no default".
  return c !== undefined && COUNTRY.test(c) ? (c as CountryCode) : undefined;
}

/**
 * A phone number in E.164 with the leading `+` (the form Google and TikTok hash), or `null`
 * when it cannot be made into a plausible number.
 *
 * National formats use `defaultCountry` (ISO-3166 alpha-2, e.g. the workspace's
 * `default_country`) and lose their trunk prefix (UK/FR leading 0, DE "(0)"); international
 * prefixes ("0033 …") and a missing `+` on a number that already carries its country code
 * are understood. A number valid for the default country wins over reading the digits as
 * international. "Plausible" is libphonenumber's `isPossible` (right length for the country),
 * so test and drama ranges such as UK 07700 900xxx still normalize — except for the
 * missing-`+` reading, which must be a valid number: without a default country almost any
 * digit string is a possible number somewhere.
 *
 * @example
 * normalizePhone("07700 900123", "GB"); // "+447700900123"
 * normalizePhone("+49 (0)30 123456"); // "+4930123456"
 * normalizePhone("33612345678"); // "+33612345678"
 * normalizePhone("12"); // null
 */
export function normalizePhone(raw: string, defaultCountry?: string): string | null {
  const s = cleanInput(raw, MAX_PHONE_LENGTH);
  if (s === null || !/\d/u.test(s)) return null;
  const country = countryCode(defaultCountry);
  const asTyped = parse(s, country);
  // Typed with its `+`, only the length can rule it out (a valid number is a possible one, and
  // there is no "missing +" reading to prefer): skip the costly validity check.
  if (s.startsWith("+")) return asTyped?.isPossible() === true ? asTyped.number : null;
  if (asTyped?.isValid() === true) return asTyped.number;
  // "Missing +": the digits may already start with a country code.
  const international = parse(`+${s.replace(/\D/gu, "")}`, undefined);
  if (international?.isValid() === true) return international.number;
  return asTyped?.isPossible() === true ? asTyped.number : null;
}

/**
 * Meta's and Microsoft's phone form: E.164 digits without the `+`.
 *
 * @example
 * phoneDigits("+16505551212"); // "16505551212"
 */
export function phoneDigits(e164: string): string {
  return e164.replace(/\D/gu, "");
}

/**
 * {@link normalizePhone} in Meta's form (digits with country code, no `+`).
 *
 * @example
 * normalizePhoneMeta("(650)555-1212", "US"); // "16505551212"
 */
export function normalizePhoneMeta(raw: string, defaultCountry?: string): string | null {
  const e164 = normalizePhone(raw, defaultCountry);
  return e164 === null ? null : phoneDigits(e164);
}
