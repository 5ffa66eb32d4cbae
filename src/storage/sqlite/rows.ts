/** Row ↔ domain mapping shared by the SQLite reader and writer. */
import type { Workspace, ConsentDefault } from "../../domain/workspace.js";

export interface WorkspaceRow {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  default_country: string | null;
  allowed_origins: string;
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
    allowedOrigins: JSON.parse(r.allowed_origins) as string[],
    consentDefault: r.consent_default as ConsentDefault,
    publicKey: r.public_key,
    createdAt: r.created_at,
  };
}
