/** LinkedIn Conversions API: 5000 per batch create; no test mode. */
import type { LinkedInConfig } from "./linkedin-config.js";
import type { PlatformAdapter } from "../types.js";
import { classifyLinkedInResponse } from "./linkedin-classify.js";
import {
  buildLinkedInRequest,
  prepareLinkedInEvent,
  type LinkedInConversionEvent,
} from "./linkedin-payload.js";

export const linkedInAdapter: PlatformAdapter<LinkedInConfig, LinkedInConversionEvent> = {
  type: "linkedin",
  batchLimit: 5000,
  parallel: 1,
  testMode: false,
  usesClientIp: false,
  prepare: prepareLinkedInEvent,
  build: buildLinkedInRequest,
  classify: (res, count) => classifyLinkedInResponse(res, count),
};
