/**
 * The `workspaces` row as both backends read it. SQLite keeps `allowed_origins` as JSON text,
 * PostgreSQL as JSONB (which arrives parsed): the one mapper takes either.
 */
import type { ConsentDefault, Workspace } from "../domain/workspace.js";

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
    publicKey: r.public_key,
    createdAt: Number(r.created_at),
  };
}
