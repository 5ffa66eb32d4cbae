/** TikTok Events API: 1000 per request, `test_event_code` for test events. */
import type { TikTokConfig } from "./tiktok-config.js";
import type { PlatformAdapter } from "../types.js";
import { classifyTikTokResponse } from "./tiktok-classify.js";
import { buildTikTokRequest, prepareTikTokEvent, type TikTokEvent } from "./tiktok-payload.js";

export const tiktokAdapter: PlatformAdapter<TikTokConfig, TikTokEvent> = {
  type: "tiktok",
  batchLimit: 1000,
  parallel: 3,
  testMode: true,
  usesClientIp: true,
  prepare: prepareTikTokEvent,
  build: buildTikTokRequest,
  classify: (res, count) => classifyTikTokResponse(res, count),
};
