/** Row ↔ domain mapping of the PostgreSQL store (JSONB columns arrive parsed, BIGINT as numbers). */
import type { ConversionAction } from "../../domain/workspace.js";
import type { DestinationRecord, Link } from "../storage.js";

export { rowToWorkspace, type WorkspaceRow } from "../workspace-row.js";

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
