/**
 * The JSON a live subscriber receives: `{"type", "data"}` frames built from bus messages.
 * Times are ISO-8601 like everywhere in the API; every `data` names its `workspace_id`, so a
 * subscriber watching several workspaces (the dashboard's overview) can tell them apart.
 */
import type { AlertJson } from "../domain/alert.js";
import { MODELS, type ModelName } from "../domain/models.js";
import { isoTime } from "../domain/time.js";
import type { CreditRow } from "../storage/storage.js";
import type { AlertMessage, ConversionMessage, TestEventMessage } from "../bus.js";

export interface WireTouch {
  platform: string;
  campaign: string | null;
  ad: string | null;
  time: string;
  credit: number;
}

export interface WireConversion {
  workspace_id: string;
  id: string;
  event_name: string;
  event_time: string;
  received_at: string;
  /** When this node handed it to its subscribers: `published_at − received_at` is Tally's own latency. */
  published_at: string;
  value: number | null;
  currency: string | null;
  event_id: string | null;
  attribution: { model: "last_click"; touches: WireTouch[] };
  attribution_all: Record<ModelName, WireTouch[]>;
  /**
   * Present on an update: the server's copy superseded the browser's copy of this conversion,
   * published before with the same id. Not a new conversion; `previous` is what it replaced.
   */
  superseded?: true;
  previous?: { value: number | null; currency: string | null };
  /** Traffic quality: `{score, flags}` decided when it was accepted (absent on a superseding update). */
  quality?: { score: number; flags: string[] } | null;
  /** Flagged and the workspace leaves flagged conversions out of its figures (`exclude`). */
  excluded?: true;
}

export interface WireTestEvent {
  workspace_id: string;
  id: string | null;
  status: TestEventMessage["status"];
  test_event_code: string | null;
  event_name: string | null;
  received_at: string;
  /** What was received (email, phone and IP masked); a very large payload is summarised. */
  received: unknown;
  error: TestEventMessage["error"];
  /** Accepted events only: `{score, identifiers, problems}` as in the `POST /v1/events` results. */
  match_quality?: unknown;
}

/** An alert as GET /v1/alerts shows it, plus the workspace, the moment and the kind as `rule`. */
export interface WireAlert extends AlertJson {
  workspace_id: string;
  at: string;
  rule: string;
}

export type WireMessage =
  | { type: "conversion"; data: WireConversion }
  | { type: "test_event"; data: WireTestEvent }
  | { type: "alert"; data: WireAlert }
  | { type: "signal"; data: { workspace_id: string; id: string } & Record<string, unknown> }
  | {
      type: "adjustment";
      data: { workspace_id: string; id: string; conversion_id: string } & Record<string, unknown>;
    }
  | { type: "metrics"; data: Record<string, unknown> & { workspace_id: string } };

/** Received payloads above this size are replaced by a preview: the view is for reading, not archiving. */
export const MAX_RECEIVED_JSON_CHARS = 16_384;

const touchJson = (t: CreditRow): WireTouch => ({
  platform: t.platform,
  campaign: t.campaign,
  ad: t.ad,
  time: isoTime(t.time),
  credit: t.credit,
});

export function conversionData(m: ConversionMessage, publishedAt: number): WireConversion {
  const all = {} as Record<ModelName, WireTouch[]>;
  for (const model of MODELS) all[model] = (m.attribution?.[model] ?? []).map(touchJson);
  return {
    workspace_id: m.workspaceId,
    id: m.id,
    event_name: m.eventName,
    event_time: isoTime(m.eventTime),
    received_at: isoTime(m.receivedAt),
    published_at: isoTime(publishedAt),
    value: m.value,
    currency: m.currency,
    event_id: m.eventId,
    attribution: { model: "last_click", touches: all.last_click },
    attribution_all: all,
    ...(m.superseded ? { superseded: true as const, previous: m.superseded } : {}),
    ...(m.quality !== undefined ? { quality: m.quality } : {}),
    ...(m.excluded ? { excluded: true as const } : {}),
  };
}

export function testEventData(m: TestEventMessage): WireTestEvent {
  return {
    workspace_id: m.workspaceId,
    id: m.id,
    status: m.status,
    test_event_code: m.testEventCode,
    event_name: m.eventName,
    received_at: isoTime(m.receivedAt),
    received: boundedReceived(m.received),
    error: m.error,
    ...(m.matchQuality ? { match_quality: m.matchQuality } : {}),
  };
}

export function alertData(m: AlertMessage): WireAlert {
  return { ...m.alert, workspace_id: m.workspaceId, at: isoTime(m.at), rule: m.rule, message: m.message };
}

function boundedReceived(received: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(received);
  } catch {
    return { truncated: true, preview: "(not serialisable)" };
  }
  if (json === undefined || json.length <= MAX_RECEIVED_JSON_CHARS) return received;
  return { truncated: true, size_chars: json.length, preview: json.slice(0, MAX_RECEIVED_JSON_CHARS) };
}
