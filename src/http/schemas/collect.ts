/** Browser collection: the tag, its batch endpoint (and CORS preflight), the image pixel. */
import type { FastifySchema } from "fastify";
import { BODY_ERRORS, OPEN, PUBLIC, errorResponses, responses, type SchemaObject } from "./common.js";
import { TEST_EVENT_CODE, batch } from "./events.js";

const CLICK_PARAMS = ["gclid", "gbraid", "wbraid", "fbclid", "fbc", "fbp", "msclkid", "ttclid", "li_fat_id"];
const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "utm_id"];
const q = (description: string, example?: string): SchemaObject => ({
  type: "string",
  description,
  ...(example ? { examples: [example] } : {}),
});

const PUBLIC_ERRORS = [
  "missing_key",
  "unknown_key",
  "key_not_allowed",
  "rate_limited",
  "invalid_query",
  "not_ready",
] as const;

export const tagSchema: FastifySchema = {
  summary: "The browser tag",
  description:
    'Load it with `<script async src="…/t/tally.js" data-key="pk_…"></script>`; see docs/tracker.md.',
  tags: ["browser"],
  security: OPEN,
  response: {
    200: {
      description: "The script (at most 4 KiB gzipped).",
      content: { "application/javascript": { schema: { type: "string" } } },
    },
    ...errorResponses(["not_found"]),
  },
};

export const collectPreflightSchema: FastifySchema = {
  summary: "CORS preflight for /t/collect",
  tags: ["browser"],
  security: OPEN,
  response: { 204: { type: "null", description: "Allowed: POST with Content-Type." } },
};

export function collectSchema(maxBatch: number): FastifySchema {
  return {
    summary: "Collect events from a browser",
    description:
      "The tag's endpoint. `Content-Type: text/plain` (sendBeacon, no preflight) or " +
      "`application/json`. `user_data.client_ip_address` and `client_user_agent` come from the " +
      "request. Only the workspace's `allowed_origins` may use it when any are configured.",
    tags: ["browser"],
    security: PUBLIC,
    consumes: ["application/json", "text/plain"],
    querystring: {
      type: "object",
      properties: { k: q("The public key (or `k` in the body).", "pk_3kT9mQ2xV7bN4cR8wZ1yHa") },
    },
    body: {
      type: "object",
      properties: {
        k: { type: "string", description: "The public key, when it is not in the query." },
        events: batch("Event", maxBatch, "events"),
        data: { description: "Another name for `events`, read when `events` is absent." },
        test_event_code: TEST_EVENT_CODE,
      },
      examples: [{ k: "pk_3kT9mQ2xV7bN4cR8wZ1yHa", events: [{ event_name: "PageView" }] }],
    },
    response: responses({ 204: { type: "null", description: "Stored." } }, [
      ...PUBLIC_ERRORS,
      ...BODY_ERRORS,
      "origin_not_allowed",
      "batch_too_large",
      "empty_batch",
      "validation_failed",
    ]),
  };
}

export const pixelSchema: FastifySchema = {
  summary: "No-JavaScript pixel",
  description:
    "Records one event from its query and answers a 1×1 GIF with `Cache-Control: no-store`. " +
    "A rejected event still gets the GIF, with its code in `X-Tally-Rejected`.",
  tags: ["browser"],
  security: PUBLIC,
  querystring: {
    type: "object",
    properties: {
      k: q("The public key.", "pk_3kT9mQ2xV7bN4cR8wZ1yHa"),
      en: q("event_name (default PageView).", "Purchase"),
      eid: q("event_id."),
      t: q("event_time: unix seconds or ISO-8601."),
      v: q("custom_data.value.", "99.99"),
      cur: q("custom_data.currency.", "USD"),
      oid: q("custom_data.order_id."),
      aid: q("user_data.anonymous_id."),
      cid: q("user_data.click_id."),
      tally_click: q("user_data.click_id, as a tracking link adds it."),
      external_id: q("user_data.external_id."),
      url: q("event_source_url (default: the Referer)."),
      test_event_code: q("Makes it a test event."),
      ...Object.fromEntries(CLICK_PARAMS.map((k) => [k, q(`user_data.${k}.`)])),
      ...Object.fromEntries(UTM.map((k) => [k, q(`custom_data.${k}.`)])),
    },
  },
  response: {
    200: {
      description: "A 1×1 GIF.",
      content: { "image/gif": { schema: { type: "string", format: "binary" } } },
    },
    ...errorResponses(PUBLIC_ERRORS),
  },
};
