import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  hashEmail,
  hashEmailGoogle,
  hashEmailForms,
  hashField,
  hashPhone,
  hashPhoneMeta,
  isSha256Hex,
  normalizeCity,
  normalizeCountry,
  normalizeDateOfBirth,
  normalizeEmail,
  normalizeEmailGoogle,
  normalizeExternalId,
  normalizeFirstNameGoogle,
  normalizeGender,
  normalizeLastNameGoogle,
  normalizeNameMeta,
  normalizeNameTikTok,
  normalizePhone,
  normalizePhoneMeta,
  normalizeState,
  normalizeZip,
  phoneDigits,
  sha256Hex,
  type Normalizer,
} from "./normalize.js";

interface Vector {
  platform: string;
  field: string;
  raw: string;
  country_default?: string;
  normalized: string;
  sha256: string;
  unconfirmed?: boolean;
}

const vectorsUrl = new URL("../../../test/fixtures/hash-vectors.json", import.meta.url);
const vectors = JSON.parse(readFileSync(vectorsUrl, "utf8")) as Vector[];

/** (platform, field) of hash-vectors.json → the function that implements that rule. */
const RULES: Record<string, Normalizer> = {
  "meta/em": normalizeEmail,
  "meta/ph": normalizePhoneMeta,
  "meta/fn": normalizeNameMeta,
  "meta/ln": normalizeNameMeta,
  "meta/ct": normalizeCity,
  "meta/st": normalizeState,
  "meta/zp": normalizeZip,
  "meta/country": normalizeCountry,
  "meta/ge": normalizeGender,
  "meta/db": normalizeDateOfBirth,
  "meta/external_id": normalizeExternalId,
  "google/hashed_email": normalizeEmailGoogle,
  "google/hashed_phone_number": normalizePhone,
  "google/hashed_first_name": normalizeFirstNameGoogle,
  "google/hashed_last_name": normalizeLastNameGoogle,
  "tiktok/email": normalizeEmail,
  "tiktok/phone": normalizePhone,
  "tiktok/first_name": normalizeNameTikTok,
  "tiktok/external_id": normalizeExternalId,
  "linkedin/SHA256_EMAIL": normalizeEmail,
  "microsoft_uet/em": normalizeEmail,
  "microsoft_uet/ph": normalizePhoneMeta,
};

/** The dedicated hash helpers, checked against the same vectors. */
const HASHERS: Record<string, (raw: string, country?: string) => string | null> = {
  "meta/em": hashEmail,
  "meta/ph": hashPhoneMeta,
  "google/hashed_email": hashEmailGoogle,
  "google/hashed_phone_number": hashPhone,
  "tiktok/email": hashEmail,
  "tiktok/phone": hashPhone,
  "linkedin/SHA256_EMAIL": hashEmail,
  "microsoft_uet/em": hashEmail,
  "microsoft_uet/ph": hashPhoneMeta,
};

/** hashEmailForms gives both email forms from one normalization: each against its vectors. */
const FORMS: Record<string, "em" | "google"> = {
  "meta/em": "em",
  "google/hashed_email": "google",
  "tiktok/email": "em",
  "linkedin/SHA256_EMAIL": "em",
  "microsoft_uet/em": "em",
};

describe("hash-vectors.json", () => {
  it("is the repository's fixture with all 63 vectors", () => {
    expect(fileURLToPath(vectorsUrl)).toMatch(/\/test\/fixtures\/hash-vectors\.json$/);
    expect(vectors).toHaveLength(63);
  });

  it("has a rule for every (platform, field)", () => {
    const missing = vectors.map((v) => `${v.platform}/${v.field}`).filter((k) => RULES[k] === undefined);
    expect(missing).toEqual([]);
  });

  it.each(vectors.map((v) => [`${v.platform}/${v.field}`, JSON.stringify(v.raw), v] as const))(
    "%s %s",
    (key, _raw, v) => {
      const normalize = RULES[key]!;
      const normalized = normalize(v.raw, v.country_default);
      expect(normalized).toBe(v.normalized);
      expect(sha256Hex(normalized!)).toBe(v.sha256);
      expect(hashField(v.raw, normalize, v.country_default)).toBe(v.sha256);
      const hasher = HASHERS[key];
      if (hasher) expect(hasher(v.raw, v.country_default)).toBe(v.sha256);
      const form = FORMS[key];
      if (form) expect(hashEmailForms(v.raw)?.[form]).toBe(v.sha256);
    },
  );
});

describe("already hashed values", () => {
  const digest = sha256Hex("jane@example.com");

  it.each([
    ["lowercase", digest],
    ["uppercase", digest.toUpperCase()],
    ["padded", `  ${digest}\n`],
  ])("are passed through (%s)", (_name, value) => {
    expect(isSha256Hex(value.trim())).toBe(true);
    expect(hashEmail(value)).toBe(digest);
    expect(hashEmailGoogle(value)).toBe(digest);
    expect(hashEmailForms(value)).toEqual({ em: digest, google: digest });
    expect(hashPhone(value)).toBe(digest);
    expect(hashPhoneMeta(value)).toBe(digest);
  });

  it.each([["a".repeat(63)], ["g".repeat(64)], [`${digest}0`], [`${digest}.AQYBAQIA`], [""]])(
    "isSha256Hex rejects %s",
    (value) => expect(isSha256Hex(value)).toBe(false),
  );
});

describe("normalizePhone", () => {
  it.each([
    ["+1 (415) 555-0100", undefined, "+14155550100"],
    ["0049 (0)30 123456", "DE", "+4930123456"],
    ["030 123456", "DE", "+4930123456"],
    ["16505551212", "US", "+16505551212"],
    ["33612345678", undefined, "+33612345678"],
    ["447400123456", "US", "+447400123456"],
    ["447700900123", undefined, null],
    ["+44 7700 900123", "FR", "+447700900123"],
    ["415 555 0100 ext. 12", "US", "+14155550100"],
    ["415 555 0100", "us", "+14155550100"],
  ])("%s (%s) → %s", (raw, country, expected) => {
    expect(normalizePhone(raw, country)).toBe(expected);
  });

  it("derives Meta's form from E.164", () => {
    expect(phoneDigits("+447700900123")).toBe("447700900123");
    expect(normalizePhoneMeta("07700 900123", "GB")).toBe("447700900123");
  });
});

describe("other rules", () => {
  it.each<[string, Normalizer, string, string | null]>([
    ["email with subdomain", normalizeEmail, "A.B@Mail.Example.ORG", "a.b@mail.example.org"],
    ["gmail tag only", normalizeEmailGoogle, "+x@gmail.com", null],
    ["gmail without dots", normalizeEmailGoogle, "JaneDoe@GMAIL.com", "janedoe@gmail.com"],
    ["meta name, typographic apostrophe", normalizeNameMeta, "O’Brien", "obrien"],
    ["meta name, NFD input", normalizeNameMeta, "Vale\u0301ry", "valéry"],
    ["google first name, title", normalizeFirstNameGoogle, "Dr. Jane", "jane"],
    ["google first name, only a title", normalizeFirstNameGoogle, "Dr.", "dr"],
    ["google last name, suffix", normalizeLastNameGoogle, "King Jr.", "king"],
    ["google last name, inner spaces", normalizeLastNameGoogle, "van  der Berg", "van der berg"],
    ["city with accents", normalizeCity, "São Paulo", "sãopaulo"],
    ["state outside US/CA", normalizeState, "Bavaria", "bavaria"],
    ["province by name", normalizeState, "British Columbia", "bc"],
    ["UK postcode", normalizeZip, "SW1A 1AA", "sw1a1aa"],
    ["country lowercase", normalizeCountry, " gb ", "gb"],
    ["gender male", normalizeGender, "M", "m"],
    ["dob compact", normalizeDateOfBirth, "19900704", "19900704"],
    ["dob slashes", normalizeDateOfBirth, "1990/07/04", "19900704"],
    ["dob ISO date-time", normalizeDateOfBirth, "1990-07-04T00:00:00Z", "19900704"],
    ["dob leap day", normalizeDateOfBirth, "2000-02-29", "20000229"],
    ["external id inner spaces", normalizeExternalId, "AB 12\t34", "ab1234"],
  ])("%s", (_name, normalize, raw, expected) => {
    expect(normalize(raw)).toBe(expected);
  });
});

const ALL: Record<string, Normalizer> = {
  normalizeEmail,
  normalizeEmailGoogle,
  normalizePhone,
  normalizePhoneMeta,
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
  hashEmail,
  hashEmailGoogle,
  hashPhone,
  hashPhoneMeta,
};

const NOT_STRINGS: unknown[] = [undefined, null, 42, true, {}, ["a@b.co"], Symbol("x")];
const EMPTY = ["", "   ", "\n\t", "\u00a0"];

describe("bad input", () => {
  const names = Object.keys(ALL);

  it.each(names)("%s returns null for empty and blank strings", (name) => {
    for (const raw of EMPTY) expect(ALL[name]!(raw)).toBeNull();
  });

  it.each(names)("%s returns null for non-strings", (name) => {
    for (const raw of NOT_STRINGS) expect(ALL[name]!(raw as string)).toBeNull();
  });

  it.each(names)("%s returns null for a megabyte of input", (name) => {
    expect(ALL[name]!("a@b.co" + "9".repeat(1 << 20))).toBeNull();
  });

  it.each<[string, Normalizer, string]>([
    ["email without @", normalizeEmail, "jane.example.com"],
    ["email with two @", normalizeEmail, "a@b@example.com"],
    ["email, empty local part", normalizeEmail, "@example.com"],
    ["email, empty domain", normalizeEmail, "jane@"],
    ["email, domain without dot", normalizeEmail, "jane@localhost"],
    ["email, empty domain label", normalizeEmail, "jane@example..com"],
    ["email, whitespace inside", normalizeEmail, "jane doe@example.com"],
    ["email, 300 chars", normalizeEmail, `${"a".repeat(290)}@example.com`],
    ["google email, garbage", normalizeEmailGoogle, "garbage"],
    ["phone, letters", normalizePhone, "not a phone"],
    ["phone, too short", normalizePhone, "12"],
    ["phone, too long", normalizePhone, "1234567890123456789012"],
    ["phone, national without country", normalizePhone, "06 12 34 56 78"],
    ["phone, punctuation only", normalizePhone, "+()-"],
    ["meta phone, garbage", normalizePhoneMeta, "!!!"],
    ["name, punctuation only", normalizeNameMeta, "'-.'"],
    ["google first name, punctuation only", normalizeFirstNameGoogle, "..."],
    ["google last name, punctuation only", normalizeLastNameGoogle, "--"],
    ["city, punctuation only", normalizeCity, "-/-"],
    ["state, punctuation only", normalizeState, "()"],
    ["zip, dash first", normalizeZip, "-1234"],
    ["country, name", normalizeCountry, "United States"],
    ["country, alpha-3", normalizeCountry, "USA"],
    ["country, digits", normalizeCountry, "12"],
    ["gender, other", normalizeGender, "unknown"],
    ["dob, month-first", normalizeDateOfBirth, "07/04/1990"],
    ["dob, month 13", normalizeDateOfBirth, "1990-13-01"],
    ["dob, 31 April", normalizeDateOfBirth, "1990-04-31"],
    ["dob, 29 Feb non-leap", normalizeDateOfBirth, "1900-02-29"],
    ["dob, before 1900", normalizeDateOfBirth, "1850-01-01"],
    ["dob, garbage", normalizeDateOfBirth, "yesterday"],
  ])("%s → null", (_name, normalize, raw) => {
    expect(normalize(raw)).toBeNull();
  });

  it("hashField refuses non-strings", () => {
    expect(hashField(42 as unknown as string, normalizeCity)).toBeNull();
  });

  it("phone with an unknown default country still parses international numbers", () => {
    expect(normalizePhone("+33 6 12 34 56 78", "XX")).toBe("+33612345678");
    expect(normalizePhone("+33 6 12 34 56 78", "not a country")).toBe("+33612345678");
  });
});
