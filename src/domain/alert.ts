/** Alerts as the API, the live feed and the channels show them (GET /v1/alerts). */

export const ALERT_KINDS = [
  "volume_drop",
  "volume_spike",
  "schema_drift",
  "value_anomaly",
  "tracking_silent",
  "error_rate",
  "dedup_rate",
  "identity_conflicts",
  "destination_failing",
  "destination_slow",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export function isAlertKind(s: unknown): s is AlertKind {
  return typeof s === "string" && (ALERT_KINDS as readonly string[]).includes(s);
}

/**
 * What went wrong, in the terms of the playbooks of docs/monitoring.md: `tracking_broken` (one
 * source or event name stopped or changed while the rest keep their pace), `traffic_dropped`
 * (everything fell together: a real drop, or an outage before Tally), `traffic_spike`,
 * `value_misreported`, `duplicate_sending`, `destination_problem`.
 */
export type Diagnosis =
  | "tracking_broken"
  | "traffic_dropped"
  | "traffic_spike"
  | "value_misreported"
  | "duplicate_sending"
  | "destination_problem";

export interface AlertJson {
  id: string;
  kind: string;
  status: "firing" | "resolved";
  severity: "warning" | "critical";
  started_at: string;
  resolved_at: string | null;
  message: string;
  diagnosis: string | null;
  details: Record<string, unknown>;
}
