/**
 * Each alert kind's settings (`PUT /v1/alert-rules/{kind}`): defaults, limits, and the parser
 * that refuses a bad value naming its field. Windows are at least 10 seconds (one slot of
 * `series_10s`) so a test can watch an alert fire and resolve.
 */
import { ALERT_KINDS, type AlertKind } from "../domain/alert.js";

export interface RuleSettings {
  enabled: boolean;
  /** The period a condition is judged over, seconds (a multiple of 10: rounded up). */
  window_seconds: number;
  /** The recent period before the window the baseline is taken from, seconds. */
  baseline_seconds: number;
  /** The kind's line: a Poisson tail, a rate, a ratio or milliseconds (see THRESHOLDS). */
  threshold: number;
  /** Least expected count (volume) or least events (the others) before a kind judges at all. */
  min_count: number;
  severity: "warning" | "critical";
}

/** What `threshold` means for each kind, and its bounds. */
export const THRESHOLDS: Record<AlertKind, { meaning: string; min: number; max: number }> = {
  volume_drop: { meaning: "Poisson lower tail", min: 1e-9, max: 0.05 },
  volume_spike: { meaning: "Poisson upper tail", min: 1e-9, max: 0.05 },
  schema_drift: {
    meaning: "share of the window's events under which a usual field counts as vanished",
    min: 0.01,
    max: 0.95,
  },
  value_anomaly: { meaning: "factor off the baseline median", min: 2, max: 1e6 },
  tracking_silent: { meaning: "events a minute over the baseline before silence counts", min: 0.1, max: 1e6 },
  error_rate: { meaning: "rejected / received", min: 0.01, max: 1 },
  dedup_rate: { meaning: "duplicates / (accepted + duplicates)", min: 0.01, max: 1 },
  identity_conflicts: {
    meaning: "events with an identifier the merge limits kept apart / accepted events",
    min: 0.001,
    max: 1,
  },
  destination_failing: { meaning: "acceptance rate under which it fires", min: 0.01, max: 1 },
  destination_slow: { meaning: "p95 delivery latency in ms over which it fires", min: 100, max: 86_400_000 },
};

const d = (
  window_seconds: number,
  baseline_seconds: number,
  threshold: number,
  min_count: number,
  severity: RuleSettings["severity"],
): RuleSettings => ({ enabled: true, window_seconds, baseline_seconds, threshold, min_count, severity });

export const DEFAULT_SETTINGS: Record<AlertKind, RuleSettings> = {
  volume_drop: d(300, 3600, 0.001, 20, "critical"),
  volume_spike: d(300, 3600, 0.001, 20, "warning"),
  schema_drift: d(600, 3600, 0.5, 20, "warning"),
  value_anomaly: d(600, 3600, 50, 10, "warning"),
  tracking_silent: d(300, 1800, 10, 1, "critical"),
  error_rate: d(60, 0, 0.2, 20, "warning"),
  dedup_rate: d(60, 0, 0.5, 20, "warning"),
  identity_conflicts: d(600, 0, 0.05, 20, "warning"),
  destination_failing: d(600, 0, 0.9, 10, "critical"),
  destination_slow: d(600, 0, 60_000, 10, "warning"),
};

export const MIN_WINDOW_SECONDS = 10;
export const MAX_WINDOW_SECONDS = 3600;
/** The recent baseline is kept in memory: six hours at most. */
export const MAX_BASELINE_SECONDS = 6 * 3600;

export type SettingsResult =
  { ok: true; settings: RuleSettings } | { ok: false; field: string; message: string };

const FIELDS = [
  "enabled",
  "window_seconds",
  "baseline_seconds",
  "threshold",
  "min_count",
  "severity",
] as const;

/** `base` with the fields of `patch` applied, or the first bad field. */
export function applySettings(
  kind: AlertKind,
  base: RuleSettings,
  patch: Record<string, unknown>,
): SettingsResult {
  const out = { ...base };
  for (const k of Object.keys(patch))
    if (!(FIELDS as readonly string[]).includes(k))
      return {
        ok: false,
        field: k,
        message: `\`${k}\` is not a rule setting; settings are ${FIELDS.join(", ")}.`,
      };
  const num = (k: (typeof FIELDS)[number], min: number, max: number, integer: boolean): string | null => {
    const v = patch[k];
    if (v === undefined) return null;
    if (
      typeof v !== "number" ||
      !Number.isFinite(v) ||
      (integer && !Number.isInteger(v)) ||
      v < min ||
      v > max
    )
      return `\`${k}\` must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}.`;
    (out as Record<string, unknown>)[k] = v;
    return null;
  };
  if (patch.enabled !== undefined) {
    if (typeof patch.enabled !== "boolean")
      return { ok: false, field: "enabled", message: "`enabled` must be true or false." };
    out.enabled = patch.enabled;
  }
  if (patch.severity !== undefined) {
    if (patch.severity !== "warning" && patch.severity !== "critical")
      return { ok: false, field: "severity", message: "`severity` must be warning or critical." };
    out.severity = patch.severity;
  }
  const t = THRESHOLDS[kind];
  const checks: [(typeof FIELDS)[number], number, number, boolean][] = [
    ["window_seconds", MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS, true],
    ["baseline_seconds", 0, MAX_BASELINE_SECONDS, true],
    ["threshold", t.min, t.max, false],
    ["min_count", 1, 1e6, true],
  ];
  for (const [k, min, max, integer] of checks) {
    const m = num(k, min, max, integer);
    if (m) return { ok: false, field: k, message: m };
  }
  // Series are kept in 10-second slots: windows and baselines are whole slots.
  out.window_seconds = Math.ceil(out.window_seconds / 10) * 10;
  out.baseline_seconds = Math.ceil(out.baseline_seconds / 10) * 10;
  if (needsBaseline(kind) && out.baseline_seconds < out.window_seconds)
    return {
      ok: false,
      field: "baseline_seconds",
      message: `\`baseline_seconds\` must be at least \`window_seconds\` (${out.window_seconds}) for ${kind}.`,
    };
  return { ok: true, settings: out };
}

/** Kinds judged against a baseline period before the window. */
export function needsBaseline(kind: AlertKind): boolean {
  return ["volume_drop", "volume_spike", "schema_drift", "value_anomaly", "tracking_silent"].includes(kind);
}

/** Every kind's settings for one workspace: the defaults with its stored ones over them. */
export function settingsOf(
  stored: Partial<Record<string, Record<string, unknown>>>,
): Record<AlertKind, RuleSettings> {
  const out = {} as Record<AlertKind, RuleSettings>;
  for (const k of ALERT_KINDS) {
    const s = stored[k];
    const r = s ? applySettings(k, DEFAULT_SETTINGS[k], s) : null;
    out[k] = r?.ok ? r.settings : DEFAULT_SETTINGS[k];
  }
  return out;
}
