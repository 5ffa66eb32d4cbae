/** Row ↔ domain mapping of the PostgreSQL store (JSONB columns arrive parsed, BIGINT as numbers). */
import type { ConsentDefault, ConversionAction, Workspace } from "../../domain/workspace.js";
import type { DestinationRecord, Link } from "../storage.js";

export interface WorkspaceRow {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  default_country: string | null;
  allowed_origins: string[];
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
    allowedOrigins: r.allowed_origins,
    consentDefault: r.consent_default as ConsentDefault,
    publicKey: r.public_key,
    createdAt: r.created_at,
  };
}

export interface ActionRow {
  name: string;
  required: string[];
  click_window_days: number;
  view_window_days: number;
}

export const rowToAction = (r: ActionRow): ConversionAction => ({
  name: r.name,
  required: r.required,
  clickWindowDays: r.click_window_days,
  viewWindowDays: r.view_window_days,
});

export interface DestinationRow {
  id: string;
  workspace_id: string;
  type: string;
  name: string;
  events: string[] | null;
  config_enc: string;
  created_at: number;
  route_events: string[] | null;
}

export const rowToDestination = (r: DestinationRow): DestinationRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  type: r.type,
  name: r.name,
  events: r.events,
  configEnc: r.config_enc,
  createdAt: r.created_at,
  routeEvents: r.route_events,
});

export interface LinkRow {
  id: string;
  workspace_id: string;
  destination_url: string;
  platform: string;
  campaign: string;
  ad: string | null;
  created_at: number;
}

export const rowToLink = (r: LinkRow): Link => ({
  id: r.id,
  workspaceId: r.workspace_id,
  destinationUrl: r.destination_url,
  platform: r.platform,
  campaign: r.campaign,
  ad: r.ad,
  createdAt: r.created_at,
});
