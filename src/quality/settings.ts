/**
 * A workspace's quality settings: the thresholds of the flags and what reports do with
 * flagged conversions. The validators are pure and answer the contract's error object
 * (`validation_failed` naming the field, e.g. `quality.max_clicks_per_ip_per_minute`), so
 * `PATCH /v1/workspace` can use them as they are.
 *
 * @example
 * validateQualityPatch({ max_clicks_per_ip_per_minute: 50 });
 * // { ok: true, value: { maxClicksPerIpPerMinute: 50 } }
 * validateQualityPatch({ max_clicks_per_ip_per_minute: 0 });
 * // { ok: false, error: { code: "validation_failed", message: "…", details: { field: "quality.max_clicks_per_ip_per_minute" } } }
 */

export type FlaggedConversions = "count" | "exclude";

export interface QualitySettings {
  /** `too_fast`: a conversion less than this many seconds after its last attributed click. 0: off. */
  minClickToConversionSeconds: number;
  /** `click_flood`: clicks beyond this many from one address (IPv6: its /64) in 60 s. */
  maxClicksPerIpPerMinute: number;
  /** `conversion_burst`: conversions beyond this many of one identity, or one address, in an hour. */
  maxConversionsPerIdentityPerHour: number;
  flaggedConversions: FlaggedConversions;
}

export const DEFAULT_QUALITY_SETTINGS: Readonly<QualitySettings> = Object.freeze({
  minClickToConversionSeconds: 3,
  maxClicksPerIpPerMinute: 20,
  maxConversionsPerIdentityPerHour: 5,
  flaggedConversions: "count",
});

/** A change to the thresholds: each one set, or reset to its default (null). */
export type QualityPatch = {
  [K in Exclude<keyof QualitySettings, "flaggedConversions">]?: number | null;
};

/** The body of a contract error, as `HttpError#toBody().error` has it. */
export interface ValidationError {
  code: "validation_failed";
  message: string;
  details: { field: string };
}

export type Validated<T> = { ok: true; value: T } | { ok: false; error: ValidationError };

const fail = (field: string, message: string): { ok: false; error: ValidationError } => ({
  ok: false,
  error: { code: "validation_failed", message, details: { field } },
});

/** The thresholds as they appear on the wire, with their bounds. */
const THRESHOLDS = [
  {
    wire: "min_click_to_conversion_seconds",
    key: "minClickToConversionSeconds",
    min: 0,
    max: 86_400,
    integer: false,
    what: "a number of seconds from 0 (off) to 86400",
  },
  {
    wire: "max_clicks_per_ip_per_minute",
    key: "maxClicksPerIpPerMinute",
    min: 1,
    max: 100_000,
    integer: true,
    what: "a whole number from 1 to 100000",
  },
  {
    wire: "max_conversions_per_identity_per_hour",
    key: "maxConversionsPerIdentityPerHour",
    min: 1,
    max: 100_000,
    integer: true,
    what: "a whole number from 1 to 100000",
  },
] as const;

export const QUALITY_SETTING_NAMES: readonly string[] = THRESHOLDS.map((t) => t.wire);

/** Validates the `quality` object of a workspace patch (only the thresholds it names change). */
export function validateQualityPatch(raw: unknown): Validated<QualityPatch> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return fail("quality", `\`quality\` must be an object with any of ${QUALITY_SETTING_NAMES.join(", ")}.`);
  const body = raw as Record<string, unknown>;
  for (const k of Object.keys(body))
    if (!QUALITY_SETTING_NAMES.includes(k))
      return fail(
        `quality.${k}`,
        `\`quality.${k.slice(0, 100)}\` is not a quality setting; they are ${QUALITY_SETTING_NAMES.join(", ")}.`,
      );
  const patch: QualityPatch = {};
  for (const t of THRESHOLDS) {
    if (!(t.wire in body)) continue;
    const v = body[t.wire];
    if (v === null) {
      patch[t.key] = null;
      continue;
    }
    if (
      typeof v !== "number" ||
      !Number.isFinite(v) ||
      v < t.min ||
      v > t.max ||
      (t.integer && !Number.isInteger(v))
    )
      return fail(`quality.${t.wire}`, `\`quality.${t.wire}\` must be ${t.what} (or null for the default).`);
    patch[t.key] = v;
  }
  return { ok: true, value: patch };
}

/** Validates the workspace setting `flagged_conversions`. */
export function validateFlaggedConversions(raw: unknown): Validated<FlaggedConversions> {
  if (raw === "count" || raw === "exclude") return { ok: true, value: raw };
  return fail("flagged_conversions", '`flagged_conversions` must be "count" or "exclude".');
}

/** The settings in force: the stored ones (null: never set or reset) over the defaults. */
export function effectiveQualitySettings(stored: {
  [K in keyof QualitySettings]?: QualitySettings[K] | null;
}): QualitySettings {
  return {
    minClickToConversionSeconds:
      stored.minClickToConversionSeconds ?? DEFAULT_QUALITY_SETTINGS.minClickToConversionSeconds,
    maxClicksPerIpPerMinute:
      stored.maxClicksPerIpPerMinute ?? DEFAULT_QUALITY_SETTINGS.maxClicksPerIpPerMinute,
    maxConversionsPerIdentityPerHour:
      stored.maxConversionsPerIdentityPerHour ?? DEFAULT_QUALITY_SETTINGS.maxConversionsPerIdentityPerHour,
    flaggedConversions: stored.flaggedConversions ?? DEFAULT_QUALITY_SETTINGS.flaggedConversions,
  };
}

/** The settings as `GET /v1/workspace` shows them. */
export function qualitySettingsJson(s: QualitySettings) {
  return {
    quality: {
      min_click_to_conversion_seconds: s.minClickToConversionSeconds,
      max_clicks_per_ip_per_minute: s.maxClicksPerIpPerMinute,
      max_conversions_per_identity_per_hour: s.maxConversionsPerIdentityPerHour,
    },
    flagged_conversions: s.flaggedConversions,
  };
}
