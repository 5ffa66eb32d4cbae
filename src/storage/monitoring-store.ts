/**
 * What monitoring keeps and reads, beside the `Store` (reached as `store.monitoring`): the
 * series counters the detectors read (written by the commit with the rollups), alerts and
 * their lifecycle, rule settings, alert channels and their outbox, the conversion ledger and
 * the per-destination figures that need the event rows (sent, match quality).
 *
 * An alert opens or resolves in ONE transaction with the outbox rows of every channel that
 * takes its severity, so a channel that is down loses no alert, and of several nodes evaluating
 * the same workspace exactly one opens (or resolves) it.
 *
 * @example
 * const opened = await store.monitoring.openAlert(alert, Date.now()); // false: already firing
 * const rows = await store.monitoring.seriesSince(Date.now() - 60_000);
 */
import type { EventSource } from "../domain/event.js";
import type { SeriesRow } from "../monitoring/rollups.js";
import type { CreditRow } from "../domain/event.js";
import type { ModelName } from "../domain/models.js";

export type { SeriesRow };
export type AlertStatus = "firing" | "resolved";
export type Severity = "warning" | "critical";

export interface AlertRecord {
  id: string;
  workspaceId: string;
  kind: string;
  /** What the alert is about within its kind (`source:server`, `event_name:Purchase`, `total`, a destination id). */
  subject: string;
  status: AlertStatus;
  severity: Severity;
  startedAt: number;
  resolvedAt: number | null;
  message: string;
  diagnosis: string | null;
  details: Record<string, unknown>;
}

export interface AlertQuery {
  status: AlertStatus | null;
  from: number | null;
  to: number | null;
  limit: number;
}

export interface AlertRuleRecord {
  workspaceId: string;
  kind: string;
  settings: Record<string, unknown>;
  updatedAt: number;
}

export interface AlertChannelRecord {
  id: string;
  workspaceId: string;
  type: "webhook" | "slack" | "email";
  /** Encrypted JSON of the config (URLs, secrets); decrypted only where it is sent. */
  configEnc: string;
  minSeverity: Severity;
  createdAt: number;
}

/** One notification to send: an alert's transition (`firing` or `resolved`) to one channel. */
export interface ChannelDeliveryJob {
  id: string;
  channel: AlertChannelRecord;
  alert: AlertRecord;
  transition: AlertStatus;
  attempts: number;
  createdAt: number;
}

export interface ChannelDeliveryUpdate {
  id: string;
  workspaceId: string;
  status: "pending" | "delivered" | "dead";
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
  deliveredAt: number | null;
}

export interface ChannelDeliveryRow {
  id: string;
  alertId: string;
  transition: AlertStatus;
  status: "pending" | "delivered" | "dead";
  attempts: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** One conversion's story as the store has it (`GET /v1/conversions/{id}`). */
export interface LedgerRecord {
  id: string;
  eventName: string;
  eventTime: number;
  receivedAt: number;
  eventId: string | null;
  orderId: string | null;
  value: number | null;
  currency: string | null;
  testEventCode: string | null;
  /** How its first copy arrived (null for events stored before sources were kept). */
  source: EventSource | null;
  supersededAt: number | null;
  /** The kinds of identifier it was linked by, and how many (never the values). */
  identifierKinds: string[];
  identifiers: number;
  /** Stored at acceptance (pipeline/match-quality.ts); null for events accepted before it was. */
  matchQuality: unknown;
  /** The traffic-quality decision (quality/); null for events accepted before it was made. */
  quality: { score: number; flags: string[] } | null;
  credits: Record<ModelName, CreditRow[]>;
  arrivals: { source: EventSource; receivedAt: number; eventId: string | null; status: string }[];
  deliveries: {
    destinationId: string;
    type: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    lastError: string | null;
    deliveredAt: number | null;
    createdAt: number;
  }[];
}

/** Per destination, of deliveries created since a time: attempted at least once, and the events' mean match score. */
export interface DestinationExtras {
  destinationId: string;
  sent: number;
  matchQualityAvg: number | null;
}

export interface MonitoringStore {
  /**
   * Rows of `series_10s` with start ≥ `since` (and < `until` when given: the complete slots
   * only), every workspace (the detectors' feed).
   */
  seriesSince(since: number, until?: number): Promise<SeriesRow[]>;
  /** Rows of `series_hour` starting at one of `starts` (same hour of past weeks), every workspace. */
  seriesHours(starts: number[]): Promise<SeriesRow[]>;
  /** Deletes slot rows older than `slotsBefore` and hour rows older than `hoursBefore`. */
  purgeSeries(slotsBefore: number, hoursBefore: number): Promise<void>;

  /**
   * Stores a firing alert unless one of its workspace, kind and subject is firing already
   * (false then), with an outbox row for each channel that takes its severity.
   */
  openAlert(alert: AlertRecord, now: number): Promise<boolean>;
  /** Resolves the firing alert of that workspace, kind and subject (null when none), with its outbox rows. */
  resolveAlert(workspaceId: string, kind: string, subject: string, at: number): Promise<AlertRecord | null>;
  /** Every alert firing now, every workspace. */
  firingAlerts(): Promise<AlertRecord[]>;
  listAlerts(workspaceId: string, q: AlertQuery): Promise<AlertRecord[]>;
  /** One alert of the workspace; null when the id is not one of its alerts. */
  getAlert(workspaceId: string, id: string): Promise<AlertRecord | null>;

  /** Rule settings of one workspace, or of all (null). */
  listAlertRules(workspaceId: string | null): Promise<AlertRuleRecord[]>;
  putAlertRule(rule: AlertRuleRecord): Promise<void>;

  createAlertChannel(channel: AlertChannelRecord, limit: number): Promise<AlertChannelRecord | null>;
  listAlertChannels(workspaceId: string): Promise<AlertChannelRecord[]>;
  /** Deletes the channel and drops its pending notifications; false when it is not the workspace's. */
  deleteAlertChannel(workspaceId: string, id: string, now: number): Promise<boolean>;
  claimChannelDeliveries(
    limit: number,
    now: number,
    leaseMs: number,
    owner: string,
  ): Promise<ChannelDeliveryJob[]>;
  completeChannelDeliveries(updates: ChannelDeliveryUpdate[], owner: string): Promise<void>;
  listChannelDeliveries(workspaceId: string, channelId: string, limit: number): Promise<ChannelDeliveryRow[]>;

  /** The conversion's story; null when the id is not an event of that workspace. */
  conversionLedger(workspaceId: string, id: string): Promise<LedgerRecord | null>;
  destinationExtras(workspaceId: string, since: number): Promise<DestinationExtras[]>;

  /**
   * One workspace's counts of `keys` with `from` ≤ start < `to`, from the 10-second slots
   * (`slots`, kept 2 days) or the hours (`hours`): the series an alert fired on, for its chart.
   */
  workspaceSeries(
    workspaceId: string,
    keys: string[],
    from: number,
    to: number,
    table: "slots" | "hours",
  ): Promise<SeriesRow[]>;
  /**
   * Conversions (not test events) and their value in `currency` (or none) per bucket of
   * `bucketMs` by EVENT time, `from` ≤ event_time < `to`; buckets without any are left out.
   */
  conversionsByEventTime(
    workspaceId: string,
    currency: string,
    from: number,
    to: number,
    bucketMs: number,
  ): Promise<EventTimeBucket[]>;
}

/** A bucket of `conversionsByEventTime`. */
export interface EventTimeBucket {
  start: number;
  conversions: number;
  value: number;
}
