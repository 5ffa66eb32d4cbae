/**
 * Every detector over one workspace's series, with that workspace's settings: the conditions
 * that hold now. Pure: the monitor (monitoring/monitor.ts) feeds the series and the
 * destinations' figures, and the lifecycle turns conditions into alerts.
 */
import type { AlertKind } from "../../domain/alert.js";
import type { RuleSettings } from "../alert-settings.js";
import type { SeriesView } from "../series-book.js";
import type { Condition } from "./condition.js";
import { destinationFailing, destinationSlow, type DestinationWindow } from "./destinations.js";
import { dedupRate, errorRate, identityConflicts, trackingSilent } from "./health-rates.js";
import { schemaDrift } from "./schema-drift.js";
import { valueAnomaly } from "./value-anomaly.js";
import { volumeDrop, volumeSpike } from "./volume.js";

export type { Condition, DestinationWindow };

const SERIES_DETECTORS: [AlertKind, (v: SeriesView, s: RuleSettings) => Condition[]][] = [
  ["volume_drop", volumeDrop],
  ["volume_spike", volumeSpike],
  ["schema_drift", schemaDrift],
  ["value_anomaly", valueAnomaly],
  ["tracking_silent", trackingSilent],
  ["error_rate", errorRate],
  ["dedup_rate", dedupRate],
  ["identity_conflicts", identityConflicts],
];

/** Kinds judged from the series (the others: from the destinations' deliveries). */
export const SERIES_KINDS: readonly AlertKind[] = SERIES_DETECTORS.map(([k]) => k);
export const DESTINATION_KINDS: readonly AlertKind[] = ["destination_failing", "destination_slow"];

export function detectSeries(v: SeriesView, settings: Record<AlertKind, RuleSettings>): Condition[] {
  const out: Condition[] = [];
  for (const [kind, detect] of SERIES_DETECTORS) {
    const s = settings[kind];
    if (s.enabled) out.push(...detect(v, s));
  }
  return out;
}

export function detectDestinations(
  windows: (windowSeconds: number) => readonly DestinationWindow[],
  settings: Record<AlertKind, RuleSettings>,
): Condition[] {
  const out: Condition[] = [];
  if (settings.destination_failing.enabled)
    out.push(
      ...destinationFailing(
        windows(settings.destination_failing.window_seconds),
        settings.destination_failing,
      ),
    );
  if (settings.destination_slow.enabled)
    out.push(
      ...destinationSlow(windows(settings.destination_slow.window_seconds), settings.destination_slow),
    );
  return out;
}
