/** Row ↔ domain mapping shared by the SQLite reader and writer. */
import type { Workspace, ConsentDefault } from "../../domain/workspace.js";
import type { StoredEvent } from "../storage.js";
import type { Consent, HashedUserData } from "../../domain/event.js";

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

interface Payload {
  u: HashedUserData;
  c: Record<string, unknown>;
  k: Consent | null;
  a: string | null;
  s: string | null;
}

export function eventFromRow(r: EventRow): StoredEvent {
  const p = JSON.parse(r.payload) as Payload;
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    eventName: r.event_name,
    eventTime: Number(r.event_time),
    receivedAt: Number(r.received_at),
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
