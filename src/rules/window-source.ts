/**
 * A rule's window totals are the performance report's figures over the trailing window
 * (`performanceRows` with `spend: "trailing"`: today's spend row in full, earlier days by
 * the fraction of their hours inside the window), one row per key of `group_by`.
 */
import { performanceRows } from "../performance/performance-rows.js";
import type { Store } from "../storage/storage.js";
import type { WindowSource } from "./rule-engine.js";

export function performanceWindow(store: Store): WindowSource {
  return async (ws, q) => {
    const r = await performanceRows(store, ws, {
      from: q.from,
      to: q.to,
      model: q.model,
      groupBy: q.groupBy,
      spend: "trailing",
      now: q.to,
    });
    return r.rows.map((row) => {
      const alias = q.groupBy === "ad" ? row.ad_id : q.groupBy === "campaign" ? row.campaign_id : null;
      return {
        platform: row.platform,
        key: row.key,
        ...(alias ? { aliases: [alias] } : {}),
        campaignId: q.groupBy === "platform" ? null : (row.campaign_id ?? null),
        totals: {
          spend: row.spend,
          impressions: row.impressions,
          clicks: row.clicks,
          conversions: row.conversions,
          value: row.value,
        },
      };
    });
  };
}
