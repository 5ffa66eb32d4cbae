/** The shapes the dashboard reads from the HTTP API and the live feed (API.md). */

export type ModelName = "last_click" | "first_click" | "linear" | "time_decay" | "position_based";
export type GroupBy = "platform" | "campaign" | "ad";

export const MODELS: readonly { id: ModelName; label: string; hint: string }[] = [
  { id: "last_click", label: "Last click", hint: "All credit to the latest touch" },
  { id: "first_click", label: "First click", hint: "All credit to the first touch" },
  { id: "linear", label: "Linear", hint: "Equal shares to every touch" },
  { id: "time_decay", label: "Time decay", hint: "Recent touches weigh more (7-day half-life)" },
  { id: "position_based", label: "Position based", hint: "40% first, 40% last, 20% shared by the middle" },
];

export interface WorkspaceSummary {
  id: string;
  name: string;
  public_key: string;
  created_at: string;
  currency?: string;
  timezone?: string;
}

export interface WorkspaceSettings {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  default_country: string | null;
  allowed_origins: string[];
  consent_default: "denied" | "granted";
  quality?: {
    min_click_to_conversion_seconds: number;
    max_clicks_per_ip_per_minute: number;
    max_conversions_per_identity_per_hour: number;
  };
  flagged_conversions?: "count" | "exclude";
  public_key: string;
  created_at: string;
}

export interface CreatedWorkspace extends WorkspaceSettings {
  secret_key: string;
}

export interface MetricsBucket {
  start: string;
  received: number;
  accepted: number;
  conversions: number;
  value: number;
  clicks: number;
  impressions: number;
  conversion_rate: number | null;
  duplicates: number;
  dedup_rate: number | null;
  rejected: number;
  error_rate: number | null;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  pipeline_ms_p50: number | null;
  pipeline_ms_p95: number | null;
}

export interface Touch {
  platform: string;
  campaign: string | null;
  ad: string | null;
  time: string;
  credit: number;
}

export interface Conversion {
  workspace_id?: string;
  id: string;
  event_name: string;
  event_time: string;
  received_at: string;
  published_at?: string;
  value: number | null;
  currency: string | null;
  event_id?: string | null;
  attribution: { model: string; touches: Touch[] };
  /** Live only: an update of the conversion with this id (the server's copy replaced the browser's). */
  superseded?: true;
  previous?: { value: number | null; currency: string | null };
  /** Traffic quality decided on arrival (null: none was made). */
  quality?: Quality | null;
  /** Flagged and left out of the workspace's figures (`flagged_conversions: "exclude"`). */
  excluded?: true;
}

export const QUALITY_FLAGS = ["bot", "too_fast", "click_flood", "conversion_burst", "datacenter_ip"] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export interface Quality {
  score: number;
  flags: QualityFlag[];
}

export interface QualitySeriesPoint {
  start: string;
  key: string;
  clicks: number;
  flagged_clicks: number;
  conversions: number;
  flagged_conversions: number;
}

export interface QualityReport {
  model: string;
  group_by: GroupBy;
  rows: {
    key: string;
    clicks: number;
    flagged_clicks: number;
    conversions: number;
    flagged_conversions: number;
    flags: Record<QualityFlag, number>;
  }[];
  unattributed: { conversions: number; flagged_conversions: number; flags: Record<QualityFlag, number> };
  series: QualitySeriesPoint[];
  top: { addresses: { key: string; count: number }[]; user_agents: { user_agent: string; count: number }[] };
}

export interface TestEvent {
  workspace_id?: string;
  id: string | null;
  status: "accepted" | "duplicate" | "rejected";
  test_event_code: string | null;
  event_name: string | null;
  received_at: string;
  received: unknown;
  error: { code: string; message: string; field?: string } | null;
}

export interface Alert {
  workspace_id: string;
  at: string;
  rule: string;
  message: string;
}

export type LiveMessage =
  | { type: "conversion"; data: Conversion }
  | { type: "test_event"; data: TestEvent }
  | { type: "metrics"; data: MetricsBucket & { workspace_id: string } }
  | { type: "alert"; data: Alert }
  | { type: "signal"; data: Signal };

/** A rule's signal (GET /v1/signals, live `signal` messages; an update repeats the id). */
export interface Signal {
  id: string;
  rule_id: string;
  rule: string;
  key: string;
  platform: string;
  metric: string;
  value: number | null;
  threshold: number;
  signal: string;
  at: string;
  campaign_id?: string;
  applied?: { status: string; status_code: number | null; error: string | null; from?: number; to?: number };
}

export interface ConversionAction {
  name: string;
  required: string[];
  click_window_days: number;
  view_window_days: number;
}

export interface AttributionReport {
  model: ModelName;
  group_by: GroupBy;
  currency: string;
  rows: { key: string; conversions: number; value: number }[];
  unattributed: { conversions: number; value: number };
  other_currencies?: Record<string, { conversions: number; value: number }>;
}

export interface ExperimentSummary {
  experiment: string;
  variants: string[];
  first_seen: string;
  last_seen: string;
}

export interface VariantReport {
  variant: string;
  visitors: number;
  converters: number;
  conversions: number;
  conversion_rate: number | null;
  value: number;
  value_per_visitor: number | null;
  lift: number | null;
  ci95: [number, number] | null;
  p_value: number | null;
  probability_to_beat_control: number | null;
  value_p_value: number | null;
  significant: boolean;
}

export interface ExperimentReport {
  experiment: string;
  event_name: string;
  control: string;
  currency: string;
  srm_p_value: number | null;
  alpha: number;
  warnings: ("sample_too_small" | "srm")[];
  variants: VariantReport[];
}
