/**
 * The `workspaces` row as both backends read it. SQLite keeps `allowed_origins` as JSON text,
 * PostgreSQL as JSONB (which arrives parsed): the one mapper takes either.
 */
import type { ConsentDefault, Workspace } from "../domain/workspace.js";
import { effectiveQualitySettings, type FlaggedConversions } from "../quality/settings.js";

export interface WorkspaceRow {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  default_country: string | null;
  allowed_origins: string | string[];
  consent_default: string;
  public_key: string;
  secret_key_hash: string;
  created_at: number;
  quality_min_click_to_conversion_seconds?: number | null;
  quality_max_clicks_per_ip_per_minute?: number | null;
  quality_max_conversions_per_identity_per_hour?: number | null;
  flagged_conversions?: string | null;
}

export function rowToWorkspace(r: WorkspaceRow): Workspace {
  return {
    id: r.id,
    name: r.name,
    currency: r.currency,
    timezone: r.timezone,
    defaultCountry: r.default_country,
    allowedOrigins:
      typeof r.allowed_origins === "string" ? (JSON.parse(r.allowed_origins) as string[]) : r.allowed_origins,
    consentDefault: r.consent_default as ConsentDefault,
    quality: effectiveQualitySettings({
      minClickToConversionSeconds: r.quality_min_click_to_conversion_seconds ?? null,
      maxClicksPerIpPerMinute: r.quality_max_clicks_per_ip_per_minute ?? null,
      maxConversionsPerIdentityPerHour: r.quality_max_conversions_per_identity_per_hour ?? null,
      flaggedConversions: (r.flagged_conversions ?? null) as FlaggedConversions | null,
    }),
    publicKey: r.public_key,
    createdAt: Number(r.created_at),
  };
}
