/** Monitoring: alerts, rule settings, alert channels. */
import type { FastifySchema } from "fastify";
import { ALERT_KINDS } from "../../domain/alert.js";
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

const FREE = { type: "object", additionalProperties: true };

const ALERT = {
  type: "object",
  properties: {
    id: { type: "string" },
    kind: { type: "string", enum: [...ALERT_KINDS] },
    status: { type: "string", enum: ["firing", "resolved"] },
    severity: { type: "string", enum: ["warning", "critical"] },
    started_at: ISO_OUT,
    resolved_at: { type: ["string", "null"], format: "date-time" },
    message: { type: "string" },
    diagnosis: {
      ...NULLABLE_STRING,
      description:
        "tracking_broken, traffic_dropped, traffic_spike, value_misreported, duplicate_sending or destination_problem.",
    },
    details: FREE,
  },
};

const SETTINGS = {
  type: "object",
  properties: {
    enabled: { type: "boolean" },
    window_seconds: { type: "integer", description: "At least 10; rounded up to a multiple of 10." },
    baseline_seconds: { type: "integer" },
    threshold: { type: "number" },
    min_count: { type: "integer" },
    severity: { type: "string", enum: ["warning", "critical"] },
  },
};

const RULE = {
  type: "object",
  properties: { kind: { type: "string" }, ...SETTINGS.properties, threshold_meaning: { type: "string" } },
};

export const listAlertsSchema: FastifySchema = {
  summary: "Alerts, newest first",
  tags: ["monitoring"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      status: {
        type: "string",
        enum: ["", "firing", "resolved"],
        description: "Only alerts in this status; empty: all.",
      },
      from: timeQuery("Started at or after."),
      to: timeQuery("Started before."),
      limit: intQuery(1, 1000, 100, "Most alerts."),
    },
  },
  response: responses(
    {
      200: {
        description: "The alerts.",
        type: "object",
        properties: { data: { type: "array", items: ALERT } },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

export const listRulesSchema: FastifySchema = {
  summary: "Every alert kind's settings",
  tags: ["monitoring"],
  security: SECRET,
  response: responses(
    {
      200: {
        description: "Settings per kind.",
        type: "object",
        properties: { data: { type: "array", items: RULE } },
      },
    },
    SECRET_ERRORS,
  ),
};

export const putRuleSchema: FastifySchema = {
  summary: "Change one alert kind's settings",
  tags: ["monitoring"],
  security: SECRET,
  params: { type: "object", properties: { kind: { type: "string" } } },
  body: { type: "object" },
  response: responses({ 200: { description: "The kind's settings now.", ...RULE } }, [
    ...SECRET_ERRORS,
    ...BODY_ERRORS,
    "validation_failed",
  ]),
};

const CHANNEL = {
  type: "object",
  properties: {
    id: { type: "string" },
    type: { type: "string", enum: ["webhook", "slack", "email"] },
    min_severity: { type: "string", enum: ["warning", "critical"] },
    config: { ...FREE, description: "The config without secrets: URLs' hosts, addresses." },
    created_at: ISO_OUT,
  },
};

export const createChannelSchema: FastifySchema = {
  summary: "Add an alert channel",
  tags: ["monitoring"],
  security: SECRET,
  body: { type: "object" },
  response: responses({ 201: { description: "The channel.", ...CHANNEL } }, [
    ...SECRET_ERRORS,
    ...BODY_ERRORS,
    "validation_failed",
    "endpoint_not_allowed",
    "limit_reached",
  ]),
};

export const listChannelsSchema: FastifySchema = {
  summary: "Alert channels",
  tags: ["monitoring"],
  security: SECRET,
  response: responses(
    {
      200: {
        description: "The channels.",
        type: "object",
        properties: { data: { type: "array", items: CHANNEL } },
      },
    },
    SECRET_ERRORS,
  ),
};

const CHANNEL_ID = { type: "object", properties: { id: { type: "string" } } };

export const deleteChannelSchema: FastifySchema = {
  summary: "Delete an alert channel",
  tags: ["monitoring"],
  security: SECRET,
  params: CHANNEL_ID,
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

export const channelDeliveriesSchema: FastifySchema = {
  summary: "A channel's notifications, newest first",
  tags: ["monitoring"],
  security: SECRET,
  params: CHANNEL_ID,
  response: responses(
    {
      200: {
        description: "Each alert transition sent (or to send) to the channel.",
        type: "object",
        properties: {
          data: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "string" },
                alert_id: { type: "string" },
                transition: { type: "string", enum: ["firing", "resolved"] },
                status: { type: "string", enum: ["pending", "delivered", "dead"] },
                attempts: { type: "integer" },
                last_error: NULLABLE_STRING,
                created_at: ISO_OUT,
                delivered_at: { type: ["string", "null"], format: "date-time" },
              },
            },
          },
        },
      },
    },
    SECRET_ERRORS,
  ),
};
