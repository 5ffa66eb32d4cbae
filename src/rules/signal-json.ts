/** A signal as the API, the live feed and webhooks show it (API.md "Rules and signals"). */
import { isoTime } from "../domain/time.js";
import type { AppliedRecord, SignalRecord } from "../storage/rules-store.js";

export interface SignalJson {
  id: string;
  rule_id: string;
  rule: string;
  key: string;
  platform: string;
  metric: string;
  /** null: undefined or infinite (a CPA with spend and no conversions). */
  value: number | null;
  threshold: number;
  signal: string;
  at: string;
  /** The platform's campaign id behind `key`, when spend named it. */
  campaign_id?: string;
  /** Present when the rule applies its signals: what the platform answered (or would be asked: dry run). */
  applied?: AppliedRecord;
}

export function signalJson(s: SignalRecord): SignalJson {
  return {
    id: s.id,
    rule_id: s.ruleId,
    rule: s.rule,
    key: s.key,
    platform: s.platform,
    metric: s.metric,
    value: s.value,
    threshold: s.threshold,
    signal: s.signal,
    at: isoTime(s.at),
    ...(s.campaignId ? { campaign_id: s.campaignId } : {}),
    ...(s.applied ? { applied: s.applied } : {}),
  };
}
