/** The conversion ledger: one conversion's whole story. */
import type { FastifySchema } from "fastify";
import { DEFAULT_MODEL, MODELS } from "../../attribution/index.js";
import {
  ISO_OUT,
  NULLABLE_STRING,
  QUALITY_OUT,
  SECRET,
  SECRET_ERRORS,
  enumQuery,
  responses,
} from "./common.js";

const FREE = { type: ["object", "null"], additionalProperties: true };
const TIME_OR_NULL = { type: ["string", "null"], format: "date-time" };

export const ledgerSchema: FastifySchema = {
  summary: "One conversion's whole story (the ledger)",
  tags: ["reports"],
  security: SECRET,
  params: { type: "object", properties: { id: { type: "string" } } },
  querystring: {
    type: "object",
    properties: { model: enumQuery(MODELS, DEFAULT_MODEL, "Attribution model.") },
  },
  response: responses(
    {
      200: {
        description:
          "Its fields as in the list, every arrival, identity kinds (never values), match quality, attribution, adjustments and each destination's deliveries.",
        type: "object",
        properties: {
          id: { type: "string" },
          event_name: { type: "string" },
          event_time: ISO_OUT,
          received_at: ISO_OUT,
          value: { type: ["number", "null"] },
          currency: NULLABLE_STRING,
          event_id: NULLABLE_STRING,
          order_id: NULLABLE_STRING,
          test_event_code: NULLABLE_STRING,
          arrivals: {
            type: "array",
            items: {
              type: "object",
              properties: {
                source: { type: "string", enum: ["server", "browser", "pixel"] },
                received_at: ISO_OUT,
                event_id: NULLABLE_STRING,
                status: { type: "string", enum: ["accepted", "duplicate", "superseded"] },
              },
            },
          },
          match_quality: FREE,
          quality: QUALITY_OUT,
          identity: {
            type: "object",
            properties: {
              identifiers: { type: "integer" },
              kinds: { type: "array", items: { type: "string" } },
            },
          },
          attribution: {
            type: "object",
            properties: {
              model: { type: "string" },
              touches: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    platform: { type: "string" },
                    campaign: NULLABLE_STRING,
                    ad: NULLABLE_STRING,
                    time: ISO_OUT,
                    credit: { type: "number" },
                  },
                },
              },
            },
          },
          adjustments: { type: "array", items: { type: "object", additionalProperties: true } },
          deliveries: {
            type: "array",
            items: {
              type: "object",
              properties: {
                destination_id: { type: "string" },
                type: { type: "string" },
                status: { type: "string" },
                attempts: { type: "integer" },
                last_status_code: { type: ["integer", "null"] },
                last_error: NULLABLE_STRING,
                sent_at: TIME_OR_NULL,
                delivered_at: TIME_OR_NULL,
                latency_ms: { type: ["number", "null"] },
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};
