/** Signed webhooks: one event per POST, four in flight; no test mode. */
import type { WebhookConfig } from "./webhook-config.js";
import { allDelivered, classifyStatus } from "../http-status.js";
import type { PlatformAdapter } from "../types.js";
import {
  buildWebhookRequest,
  prepareWebhookEvent,
  prepareWebhookPayload,
  type WebhookItem,
} from "./webhook-payload.js";

export const webhookAdapter: PlatformAdapter<WebhookConfig, WebhookItem> = {
  type: "webhook",
  batchLimit: 1,
  parallel: 1,
  testMode: false,
  usesClientIp: true,
  prepare: prepareWebhookEvent,
  preparePayload: prepareWebhookPayload,
  build: buildWebhookRequest,
  // Any 2xx takes the event; 408/429/5xx are retried; other answers (3xx too: redirects are
  // not followed, the signature is for this URL) refuse it.
  classify: (res, count) =>
    res.status >= 200 && res.status < 300
      ? allDelivered(res.status, count)
      : classifyStatus(res, "The webhook", null),
};
