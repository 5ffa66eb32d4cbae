/** One spend client per platform, chosen by the source's type. */
import type { SpendSourceConfig } from "../source-config.js";
import { pullGoogleAds } from "./google-ads-search.js";
import { pullLinkedIn } from "./linkedin-analytics.js";
import { pullMeta } from "./meta-insights.js";
import type { PullContext, PullResult } from "./pull.js";
import { pullTikTok } from "./tiktok-report.js";

export type { PullContext, PullResult, PulledRow } from "./pull.js";

export function pullSpend(c: SpendSourceConfig, ctx: PullContext): Promise<PullResult> {
  switch (c.type) {
    case "meta":
      return pullMeta(c, ctx);
    case "google_ads":
      return pullGoogleAds(c, ctx);
    case "tiktok":
      return pullTikTok(c, ctx);
    case "linkedin":
      return pullLinkedIn(c, ctx);
  }
}
