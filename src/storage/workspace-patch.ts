/** A workspace settings patch as the columns it changes: one mapping for both backends. */
import type { WorkspacePatch } from "./storage.js";

const COLUMNS: [keyof WorkspacePatch, string][] = [
  ["name", "name"],
  ["currency", "currency"],
  ["timezone", "timezone"],
  ["defaultCountry", "default_country"],
  ["allowedOrigins", "allowed_origins"],
  ["consentDefault", "consent_default"],
];

/** The columns a patch sets, with their values as stored (lists as JSON text). */
export function workspacePatchColumns(patch: WorkspacePatch): { column: string; value: unknown }[] {
  const out: { column: string; value: unknown }[] = [];
  for (const [key, column] of COLUMNS) {
    const v = patch[key];
    if (v !== undefined) out.push({ column, value: Array.isArray(v) ? JSON.stringify(v) : v });
  }
  // Traffic quality: null stores "the default".
  const q = patch.quality;
  if (q?.minClickToConversionSeconds !== undefined)
    out.push({ column: "quality_min_click_to_conversion_seconds", value: q.minClickToConversionSeconds });
  if (q?.maxClicksPerIpPerMinute !== undefined)
    out.push({ column: "quality_max_clicks_per_ip_per_minute", value: q.maxClicksPerIpPerMinute });
  if (q?.maxConversionsPerIdentityPerHour !== undefined)
    out.push({
      column: "quality_max_conversions_per_identity_per_hour",
      value: q.maxConversionsPerIdentityPerHour,
    });
  if (patch.flaggedConversions !== undefined)
    out.push({ column: "flagged_conversions", value: patch.flaggedConversions });
  return out;
}
