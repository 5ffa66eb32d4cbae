/** Row ↔ domain mapping of the PostgreSQL store (JSONB columns arrive parsed, BIGINT as numbers). */
import type { Consent, HashedUserData } from "../../domain/event.js";
import type { ConsentDefault, ConversionAction, Workspace } from "../../domain/workspace.js";
import type { DestinationRecord, Link, StoredEvent } from "../storage.js";

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

export interface EventRow {
  id: string;
  workspace_id: string;
  event_name: string;
  event_time: number;
  received_at: number;
  event_id: string | null;
  order_id: string | null;
  value: number | null;
  currency: string | null;
  test_event_code: string | null;
  payload: string;
  ip_enc: string | null;
}

/** The event's stored JSON: what forwarding needs beyond the indexed columns. */
export interface EventPayload {
  u: HashedUserData;
  c: Record<string, unknown>;
  k: Consent | null;
  a: string | null;
  s: string | null;
  i: { kind: string; value: string }[];
}

export function eventFromRow(r: EventRow): StoredEvent {
  const p = JSON.parse(r.payload) as EventPayload;
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    eventName: r.event_name,
    eventTime: r.event_time,
    receivedAt: r.received_at,
    eventId: r.event_id,
    orderId: r.order_id,
    actionSource: p.a,
    eventSourceUrl: p.s,
    value: r.value,
    currency: r.currency,
    user: r.ip_enc ? { ...p.u, client_ip_enc: r.ip_enc } : p.u,
    customData: p.c,
    consent: p.k,
    testEventCode: r.test_event_code,
  };
}

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
