/**
 * The in-process bus between the ingest pipeline and whoever reacts to what it stored: the
 * live feed, metrics, forwarding wake-ups. Publishing is synchronous fan-out after the
 * acknowledgement; a subscriber that throws is isolated and logged, never the publisher.
 *
 * With several nodes, a `BusBridge` (e.g. PostgreSQL LISTEN/NOTIFY) re-publishes what other
 * nodes stored, marked `remote: true`, so every node's live feed sees every conversion.
 */
import type { ModelName } from "./domain/models.js";
import type { CreditRow } from "./storage/storage.js";
import type { AlertJson } from "./domain/alert.js";

export interface ConversionMessage {
  type: "conversion";
  workspaceId: string;
  id: string;
  eventName: string;
  eventTime: number;
  receivedAt: number;
  value: number | null;
  currency: string | null;
  eventId: string | null;
  attribution: Record<ModelName, CreditRow[]> | null;
  /**
   * Set when a server copy superseded the stored browser copy of this conversion: the message
   * updates the one already published with this id (no new conversion), and this holds the
   * value it replaced.
   */
  superseded?: { value: number | null; currency: string | null };
  /** The traffic-quality decision (quality/); null when none was made. */
  quality?: { score: number; flags: string[] } | null;
  /** Flagged, and the workspace leaves flagged conversions out (`exclude`): rules skip it. */
  excluded?: boolean;
  remote?: boolean;
}

export interface TestEventMessage {
  type: "test_event";
  workspaceId: string;
  receivedAt: number;
  status: "accepted" | "duplicate" | "rejected";
  id: string | null;
  testEventCode: string | null;
  eventName: string | null;
  /** What was received, with email, phone and IP masked. */
  received: unknown;
  error: { code: string; message: string; field?: string } | null;
  /** An accepted test event's match quality (pipeline/match-quality.ts), so the developer wiring sees it. */
  matchQuality?: unknown;
  remote?: boolean;
}

/** An alert fired or resolved (monitoring/alert-lifecycle.ts): published once, by the node that stored it. */
export interface AlertMessage {
  type: "alert";
  workspaceId: string;
  at: number;
  /** The alert's kind (named `rule` on the feed since before kinds had settings). */
  rule: string;
  message: string;
  alert: AlertJson;
  remote?: boolean;
}

/** A destination was created or deleted (on this node, or `remote`: on another one). */
export interface DestinationsChangedMessage {
  type: "destinations_changed";
  workspaceId: string;
  remote?: boolean;
}

/**
 * A rule fired (stored already); `data` is the signal as the API shows it. `applied` updates
 * follow with the same id once the platform answered.
 */
export interface SignalMessage {
  type: "signal";
  workspaceId: string;
  data: { id: string } & Record<string, unknown>;
  remote?: boolean;
}

/** Rules of a workspace were created, changed or deleted (on this node, or `remote`). */
export interface RulesChangedMessage {
  type: "rules_changed";
  workspaceId: string;
  remote?: boolean;
}

/**
 * A conversion was retracted or restated (stored already, its outbox rows with it); `data` is
 * the adjustment as the API shows it (no personal data).
 */
export interface AdjustmentMessage {
  type: "adjustment";
  workspaceId: string;
  data: { id: string; conversion_id: string } & Record<string, unknown>;
  remote?: boolean;
}

export type BusMessage =
  | ConversionMessage
  | TestEventMessage
  | AlertMessage
  | DestinationsChangedMessage
  | SignalMessage
  | AdjustmentMessage
  | RulesChangedMessage;
export type Subscriber = (m: BusMessage) => void;

export class Bus {
  private readonly subs = new Set<Subscriber>();
  constructor(private readonly onSubscriberError: (err: unknown) => void = () => {}) {}

  subscribe(fn: Subscriber): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  publish(m: BusMessage): void {
    for (const fn of this.subs) {
      try {
        fn(m);
      } catch (err) {
        this.onSubscriberError(err);
      }
    }
  }
}
