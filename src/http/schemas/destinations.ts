/** Destinations (secret key): forwarding of conversions to ad platforms and webhooks. */
import type { FastifySchema } from "fastify";
import { DESTINATION_TYPES } from "../../destinations/config-schema.js";
import {
  BODY_ERRORS,
  ISO_OUT,
  NULLABLE_STRING,
  SECRET,
  SECRET_ERRORS,
  intQuery,
  responses,
  timeQuery,
} from "./common.js";

/** Documentation of `config` per type; `POST /v1/destinations` checks it field by field. */
export const DestinationConfigSchema = {
  $id: "DestinationConfig",
  title: "DestinationConfig",
  description:
    "The settings of a destination; which fields depends on `type` (docs/destinations.md). " +
    "Every type: `endpoint` (replaces the platform's base URL), `max_attempts` (1–100, default 20), " +
    "`retry_base_ms` (default 1000, doubling, capped at 10 minutes), `timeout_ms` (default 10000). " +
    "`meta`: `pixel_id`, `access_token`, `api_version`?, `test_event_code`?, `event_map`?, `app_secret`?. " +
    "`google_ads`: `customer_id`, `developer_token`, `access_token` (or `client_id`, `client_secret`, " +
    "`refresh_token`), `login_customer_id`?, `conversion_actions` ({event name: resource name}), " +
    "`api_version`?, `token_endpoint`?. `linkedin`: `access_token`, `conversions` ({event name: URN}), " +
    "`version`?. `tiktok`: `pixel_code`, `access_token`, `test_event_code`?, `event_map`?. " +
    "`webhook`: `url`, `secret` (bodies signed with `Tally-Signature`), `signals`? (also send rules' signals). " +
    "Secrets are never answered back.",
  type: "object",
  examples: [
    { pixel_id: "1234567890", access_token: "EAAB…" },
    { url: "https://hooks.example/tally", secret: "whsec_…" },
  ],
} as const;

export const DestinationSchema = {
  $id: "Destination",
  title: "Destination",
  type: "object",
  properties: {
    id: { type: "string", examples: ["dst_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
    type: { type: "string", enum: [...DESTINATION_TYPES] },
    name: { type: "string" },
    events: {
      type: ["array", "null"],
      items: { type: "string" },
      description: "Event names it receives; null: every conversion action.",
    },
    config: { type: ["object", "null"], description: "The config without its secrets." },
    created_at: ISO_OUT,
  },
} as const;

const ID_PARAMS = {
  type: "object",
  properties: {
    id: {
      type: "string",
      description: "The destination id (`dst_` and 26 characters).",
      examples: ["dst_01jd2x0m5q7k3v9n8p6r4t2w0y"],
    },
  },
};
const ONE = { $ref: "Destination#", description: "The destination." };

export const createDestinationSchema: FastifySchema = {
  summary: "Create a destination",
  tags: ["destinations"],
  security: SECRET,
  body: {
    type: "object",
    required: ["type"],
    additionalProperties: false,
    properties: {
      type: { type: "string", enum: [...DESTINATION_TYPES] },
      name: { ...NULLABLE_STRING, maxLength: 200, description: "Default: the type." },
      events: {
        type: ["array", "null"],
        minItems: 1,
        maxItems: 200,
        items: { type: "string" },
        description: "Conversion actions it receives (default: every conversion action).",
      },
      config: { $ref: "DestinationConfig#" },
    },
    examples: [
      {
        type: "meta",
        name: "Meta pixel",
        events: ["Purchase", "Lead"],
        config: { pixel_id: "1234567890", access_token: "EAAB…" },
      },
    ],
  },
  response: responses({ 201: ONE }, [...SECRET_ERRORS, ...BODY_ERRORS, "validation_failed"]),
};

export const listDestinationsSchema: FastifySchema = {
  summary: "List destinations",
  tags: ["destinations"],
  security: SECRET,
  response: responses(
    {
      200: {
        description: "The destinations.",
        type: "object",
        properties: { data: { type: "array", items: { $ref: "Destination#" } } },
      },
    },
    SECRET_ERRORS,
  ),
};

export const destinationStatsSchema: FastifySchema = {
  summary: "Per-destination delivery figures",
  tags: ["destinations"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: { from: timeQuery("Deliveries created since (default: a day ago).") },
  },
  response: responses(
    {
      200: {
        description: "Counts by status, latency percentiles and the last error, per destination.",
        type: "object",
        properties: {
          from: ISO_OUT,
          data: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "string" },
                name: { type: "string" },
                type: { type: "string" },
                sent: { type: "integer", description: "Deliveries attempted at least once." },
                delivered: { type: "integer" },
                failed: { type: "integer" },
                dead: { type: "integer" },
                pending: { type: "integer" },
                latency_ms_p50: { type: ["number", "null"] },
                latency_ms_p95: { type: ["number", "null"] },
                acceptance_rate: {
                  type: ["number", "null"],
                  description: "delivered / (delivered + failed + dead); null when none finished.",
                },
                match_quality_avg: {
                  type: ["number", "null"],
                  description: "Mean match quality (0–10) of the events routed to it.",
                },
                last_error: NULLABLE_STRING,
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

export const getDestinationSchema: FastifySchema = {
  summary: "One destination",
  tags: ["destinations"],
  security: SECRET,
  params: ID_PARAMS,
  response: responses({ 200: ONE }, SECRET_ERRORS),
};

export const deleteDestinationSchema: FastifySchema = {
  summary: "Delete a destination",
  tags: ["destinations"],
  security: SECRET,
  params: ID_PARAMS,
  response: responses(
    {
      200: {
        description: "Deleted.",
        type: "object",
        properties: { id: { type: "string" }, deleted: { const: true } },
      },
    },
    SECRET_ERRORS,
  ),
};

export const deliveriesSchema: FastifySchema = {
  summary: "A destination's delivery log",
  tags: ["destinations"],
  security: SECRET,
  params: ID_PARAMS,
  querystring: {
    type: "object",
    properties: {
      status: {
        type: "string",
        enum: ["", "pending", "delivered", "failed", "dead", "skipped"],
        description: "Only deliveries in this status; empty: all.",
      },
      limit: intQuery(1, 1000, 100, "Most rows."),
    },
  },
  response: responses(
    {
      200: {
        description: "Newest first.",
        type: "object",
        properties: {
          data: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "string", description: "Tally's event id." },
                event_id: { type: "string", description: "The platform dedup id that was sent." },
                status: { type: "string", enum: ["pending", "delivered", "failed", "dead", "skipped"] },
                attempts: { type: "integer" },
                last_status_code: { type: ["integer", "null"] },
                last_error: NULLABLE_STRING,
                delivered_at: { type: ["string", "null"], format: "date-time" },
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

export const replaySchema: FastifySchema = {
  summary: "Replay a destination's dead deliveries",
  tags: ["destinations"],
  security: SECRET,
  params: ID_PARAMS,
  response: responses(
    {
      200: {
        description: "How many went back to pending.",
        type: "object",
        properties: { replayed: { type: "integer" } },
      },
    },
    SECRET_ERRORS,
  ),
};

/** Short names for the route registrations. */
export const destinationSchemas = {
  create: createDestinationSchema,
  list: listDestinationsSchema,
  stats: destinationStatsSchema,
  get: getDestinationSchema,
  delete: deleteDestinationSchema,
  log: deliveriesSchema,
  replay: replaySchema,
};
