/** Meta Conversions API: 1000 events per request, `test_event_code` for test events. */
import type { MetaConfig } from "./meta-config.js";
import type { PlatformAdapter } from "../types.js";
import { classifyMetaResponse } from "./meta-classify.js";
import { buildMetaRequest, prepareMetaEvent, type MetaEvent } from "./meta-payload.js";

export const metaAdapter: PlatformAdapter<MetaConfig, MetaEvent> = {
  type: "meta",
  batchLimit: 1000,
  parallel: 3,
  testMode: true,
  usesClientIp: true,
  prepare: prepareMetaEvent,
  build: buildMetaRequest,
  classify: (res, count) => classifyMetaResponse(res, count),
};
