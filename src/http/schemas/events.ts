/** POST /v1/events, and the Event and batch-result components shared with /t/collect and touches. */
import type { FastifySchema } from "fastify";
import { CLICK_ID_KINDS } from "../../domain/event.js";
import { ACTION_SOURCES } from "../../pipeline/steps/validate.js";
import { BODY_ERRORS, QUALITY_OUT, SECRET, SECRET_ERRORS, responses } from "./common.js";
import { NO_NUL, type SchemaObject } from "./validator.js";

const TIME_IN = {
  type: ["number", "string"],
  description: "Unix seconds (a number), or ISO-8601 with a zone.",
  examples: [1764426811, "2026-11-29T14:33:31Z"],
};

const ID_IN = {
  type: ["string", "number"],
  minLength: 1,
  maxLength: 128,
  description: "1–128 characters, none of them a control character.",
};

const CONSENT_VALUE = { type: "string", enum: ["granted", "denied"] };

/**
 * One event as `POST /v1/events` and `POST /t/collect` take it. Documentation of the batch
 * items: each item is checked by the pipeline on its own (a bad one is rejected in `results`
 * with a per-event code, the others are kept), so this schema never refuses a batch.
 */
export const EventSchema = {
  $id: "Event",
  title: "Event",
  description:
    "A conversion or another event. Checked one by one: a bad event is answered " +
    "`rejected` in `results` with a per-event code (docs/errors.md), and the others are kept.",
  type: "object",
  required: ["event_name", "event_time"],
  properties: {
    event_name: {
      type: "string",
      description:
        "A conversion action of the workspace (GET /v1/conversion-actions) or a non-conversion " +
        "event: PageView, ViewContent, Search, Exposure.",
      examples: ["Purchase", "Lead", "PageView"],
    },
    event_time: {
      ...TIME_IN,
      description: `${TIME_IN.description} At most 7 days old and 10 minutes in the future (defaults). Browser collection may leave it out.`,
    },
    event_id: {
      ...ID_IN,
      description: `The dedup id (numbers are taken as their decimal text). ${ID_IN.description}`,
      examples: ["order-1001"],
    },
    action_source: { type: "string", enum: [...ACTION_SOURCES] },
    event_source_url: { type: "string", format: "uri", maxLength: 2048 },
    user_data: {
      type: "object",
      description:
        "Identifiers. `email`/`em` and `phone`/`ph` are normalized and SHA-256 hashed on arrival " +
        "(a 64-hex value is taken as already hashed); plain values are never stored.",
      properties: Object.fromEntries(
        [
          "email",
          "em",
          "phone",
          "ph",
          "external_id",
          "anonymous_id",
          "client_ip_address",
          "client_user_agent",
          "fbc",
          "fbp",
          ...CLICK_ID_KINDS,
        ].map((k) => [k, { type: "string", maxLength: 2048 }]),
      ),
      examples: [{ email: "Jane.Doe@Example.com", phone: "+1 (415) 555-0100", external_id: "crm-77" }],
    },
    custom_data: {
      type: "object",
      description:
        "Free-form fields of the event; these are read: `value`, `currency` (ISO-4217), " +
        "`order_id` (dedup, reconciliation), `utm_*`, `experiment`, `variant`.",
      properties: {
        value: { type: "number" },
        currency: { type: "string", pattern: "^[A-Za-z]{3}$", description: "ISO-4217, such as USD." },
        order_id: ID_IN,
      },
      examples: [{ value: 99.99, currency: "USD", order_id: "1001" }],
    },
    consent: {
      type: "object",
      properties: {
        ad_user_data: CONSENT_VALUE,
        ad_personalization: CONSENT_VALUE,
        analytics: CONSENT_VALUE,
      },
    },
  },
  examples: [
    {
      event_name: "Purchase",
      event_time: 1764426811,
      event_id: "order-1001",
      action_source: "website",
      event_source_url: "https://shop.example/thanks",
      user_data: { email: "Jane.Doe@Example.com", anonymous_id: "a1b2c3", gclid: "Cj0KCQ" },
      custom_data: { value: 99.99, currency: "USD", order_id: "1001" },
      consent: { ad_user_data: "granted", ad_personalization: "granted", analytics: "granted" },
    },
  ],
} as const;

/** The answer of a batch endpoint: a result per item, in order. */
export const BatchResultSchema = {
  $id: "BatchResult",
  title: "BatchResult",
  description:
    "A result per item, in the order sent: `accepted` and `duplicate` carry the stored id " +
    "(a duplicate, the id of the item it duplicates); `rejected` carries the per-item error.",
  type: "object",
  required: ["received", "accepted", "duplicates", "rejected", "results"],
  properties: {
    received: { type: "integer" },
    accepted: { type: "integer" },
    duplicates: { type: "integer" },
    rejected: { type: "integer" },
    results: {
      type: "array",
      items: {
        type: "object",
        required: ["index", "status"],
        properties: {
          index: { type: "integer" },
          status: { type: "string", enum: ["accepted", "duplicate", "rejected"] },
          id: { type: "string", examples: ["evt_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
          warnings: { type: "array", items: { type: "string" } },
          quality: QUALITY_OUT,
          match_quality: {
            type: "object",
            description:
              "Accepted events: how well a platform can match it (score 0–10), what it carries, what to fix.",
            properties: {
              score: { type: "number" },
              identifiers: { type: "array", items: { type: "string" } },
              problems: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    code: { type: "string" },
                    field: { type: "string" },
                    message: { type: "string" },
                  },
                },
              },
            },
          },
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: {
                type: "string",
                description:
                  "missing_field, invalid_field, unknown_event_name, event_too_old, event_in_future or invalid_event.",
              },
              message: { type: "string" },
              field: { type: "string" },
            },
          },
        },
      },
    },
  },
  examples: [
    {
      received: 2,
      accepted: 1,
      duplicates: 0,
      rejected: 1,
      results: [
        { index: 0, status: "accepted", id: "evt_01jd2x0m5q7k3v9n8p6r4t2w0y" },
        {
          index: 1,
          status: "rejected",
          error: { code: "missing_field", message: "`event_time` is required.", field: "event_time" },
        },
      ],
    },
  ],
} as const;

/** A batch of `items` (`x-batch`: 1 to `max` long; the items are checked one by one). */
export function batch(ref: string, max: number, what: string): SchemaObject {
  return {
    type: "array",
    "x-batch": true,
    minItems: 1,
    maxItems: max,
    items: { $ref: `${ref}#` },
    description: `1 to ${max} ${what}. An empty list is \`422 empty_batch\`, a longer one \`413 batch_too_large\`; each item is checked on its own.`,
  };
}

export const TEST_EVENT_CODE = {
  type: ["string", "null"],
  maxLength: 64,
  pattern: NO_NUL,
  description:
    "Makes these test events: shown in the live test view, kept out of metrics, reports and " +
    "attribution, forwarded only to a destination's test mode.",
  examples: ["TEST42"],
};

export function postEventsSchema(maxBatch: number): FastifySchema {
  return {
    summary: "Send events (server to server)",
    description:
      "A `200` means durably stored. Valid events of a batch are kept even when others are " +
      "rejected. Dedup: same `event_name` and equal `event_id` (or equal `custom_data.order_id` " +
      "when one has no `event_id`) within 7 days.",
    tags: ["events"],
    security: SECRET,
    body: {
      type: "object",
      required: ["data"],
      properties: { data: batch("Event", maxBatch, "events"), test_event_code: TEST_EVENT_CODE },
      examples: [{ data: [EventSchema.examples[0]] }],
    },
    response: responses({ 200: { $ref: "BatchResult#", description: "A result per event." } }, [
      ...SECRET_ERRORS,
      ...BODY_ERRORS,
      "batch_too_large",
      "empty_batch",
      "validation_failed",
    ]),
  };
}
