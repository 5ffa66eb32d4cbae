/**
 * Tracking health at a glance, from one metrics bucket: are events arriving, are they
 * accepted, and do they reach the feed quickly. The thresholds are the dashboard's (see
 * docs/dashboard.md); the server's own alerts arrive separately as `alert` messages.
 */
import type { MetricsBucket } from "./types.js";
import { ms, percent } from "./format.js";

export type HealthLevel = "healthy" | "degraded" | "failing" | "idle";

export interface Health {
  level: HealthLevel;
  label: string;
  /** A few words for cards. */
  summary: string;
  /** A sentence with what to do. */
  detail: string;
}

export const ERROR_RATE_DEGRADED = 0.02;
export const ERROR_RATE_FAILING = 0.2;
export const PIPELINE_P95_DEGRADED_MS = 1000;

export function healthOf(b: MetricsBucket | null | undefined): Health {
  if (!b || (b.received === 0 && b.clicks === 0 && b.duplicates === 0))
    return {
      level: "idle",
      label: "Waiting for events",
      summary: "Nothing received yet",
      detail: "Nothing received in this period yet.",
    };
  const errors = b.error_rate ?? 0;
  if (errors >= ERROR_RATE_FAILING)
    return {
      level: "failing",
      label: "Failing",
      summary: `${percent(errors)} of events rejected`,
      detail: `${percent(errors)} of events rejected — open Test events to see why.`,
    };
  if (errors >= ERROR_RATE_DEGRADED)
    return {
      level: "degraded",
      label: "Some events rejected",
      summary: `${percent(errors)} of events rejected`,
      detail: `${percent(errors)} of events rejected — open Test events to see why.`,
    };
  if (b.pipeline_ms_p95 !== null && b.pipeline_ms_p95 > PIPELINE_P95_DEGRADED_MS)
    return {
      level: "degraded",
      label: "Slow",
      summary: `Feed p95 ${ms(b.pipeline_ms_p95)}`,
      detail: `Conversions take ${ms(b.pipeline_ms_p95)} (p95) to reach the feed.`,
    };
  const speed = b.pipeline_ms_p95 !== null ? ` · feed p95 ${ms(b.pipeline_ms_p95)}` : "";
  return {
    level: "healthy",
    label: "Healthy",
    summary: `${percent(errors)} rejected`,
    detail: `${percent(errors)} of events rejected${speed}.`,
  };
}
