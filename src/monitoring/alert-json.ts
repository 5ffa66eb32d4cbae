/** An alert record as the API, the live feed and the channels show it. */
import type { AlertJson } from "../domain/alert.js";
import { isoTime } from "../domain/time.js";
import type { AlertRecord } from "../storage/monitoring-store.js";

export function alertJson(a: AlertRecord): AlertJson {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    severity: a.severity,
    started_at: isoTime(a.startedAt),
    resolved_at: a.resolvedAt === null ? null : isoTime(a.resolvedAt),
    message: a.message,
    diagnosis: a.diagnosis,
    details: a.details,
  };
}
