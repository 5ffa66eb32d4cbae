/**
 * What the quality report reads, written once for both backends: the grouped rows each store
 * answers (clicks per key and flags, credit of conversions per key and flags, unattributed
 * conversions per flags, each per time bucket) and the most frequent truncated address keys
 * and user agents of flagged rows. The aggregation itself is quality/report.ts.
 */
import type { GroupBy, ModelName } from "../attribution/index.js";

export interface QualityQuery {
  from: number | null;
  to: number | null;
  model: ModelName;
  /** Bucket size of the series, ms. */
  bucketMs: number;
}

/** One grouped row: a key's touches or credit with one set of flags in one bucket. */
export interface QualityGroupRow {
  platform: string;
  campaign: string | null;
  ad: string | null;
  /** The flags' bit mask (0 = clean). */
  flags: number;
  start: number;
  /** Clicks, or the sum of credit. */
  n: number;
}

export interface QualityReadout {
  clicks: QualityGroupRow[];
  conversions: QualityGroupRow[];
  /** Conversions no touch explains, per flags mask. */
  unattributed: { flags: number; n: number }[];
  topKeys: { key: string; n: number }[];
  topUserAgents: { userAgent: string; n: number }[];
}

export type { GroupBy };

/** How many addresses and user agents the report lists. */
export const QUALITY_TOP = 10;
