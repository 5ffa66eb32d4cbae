/** Reads: the conversions list, the attribution report, and tracking-health metrics. */
import type { FastifySchema } from "fastify";
import { DEFAULT_MODEL, GROUP_BYS, MODELS } from "../../attribution/index.js";
import {
  ISO_OUT,
  NULLABLE_STRING,
  QUALITY_OUT,
  RATIO,
  SECRET,
  SECRET_ERRORS,
  enumQuery,
  intQuery,
  responses,
  timeQuery,
} from "./common.js";

const FROM = timeQuery("Start, inclusive.");
const TO = timeQuery("End, exclusive.");
const MODEL = enumQuery(MODELS, DEFAULT_MODEL, "Attribution model.");

const TOUCH_OUT = {
  type: "object",
  properties: {
    platform: { type: "string" },
    campaign: NULLABLE_STRING,
    ad: NULLABLE_STRING,
    time: ISO_OUT,
    credit: { type: "number", description: "This touch's share of the conversion, 0–1." },
  },
};

export const ConversionSchema = {
  $id: "Conversion",
  title: "Conversion",
  type: "object",
  properties: {
    id: { type: "string", examples: ["evt_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
    event_name: { type: "string" },
    event_time: ISO_OUT,
    received_at: ISO_OUT,
    value: { type: ["number", "null"] },
    currency: NULLABLE_STRING,
    quality: QUALITY_OUT,
    attribution: {
      type: "object",
      properties: {
        model: { type: "string", enum: [...MODELS] },
        touches: { type: "array", items: TOUCH_OUT, description: "Empty: unattributed." },
      },
    },
  },
} as const;

export const listConversionsSchema: FastifySchema = {
  summary: "List conversions with their attribution",
  description: "By `event_time`, newest first; page with `next_cursor`.",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      from: FROM,
      to: TO,
      limit: intQuery(1, 1000, 100, "Page size."),
      cursor: { type: "string", description: "`next_cursor` of the previous page." },
      model: MODEL,
    },
  },
  response: responses(
    {
      200: {
        description: "A page of conversions.",
        type: "object",
        properties: {
          data: { type: "array", items: { $ref: "Conversion#" } },
          next_cursor: { ...NULLABLE_STRING, description: "null on the last page." },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query", "invalid_cursor"],
  ),
};

const KEY_FIGURES = {
  type: "object",
  properties: { conversions: { type: "number" }, value: { type: "number" } },
};

export const attributionReportSchema: FastifySchema = {
  summary: "Attribution report",
  description:
    "Credit per key under a model, by `event_time`: `conversions` sums credit, `value` credit × value " +
    "in the workspace currency (other currencies apart in `other_currencies`).",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      from: FROM,
      to: TO,
      model: MODEL,
      group_by: enumQuery(GROUP_BYS, "platform", "Grouping."),
    },
  },
  response: responses(
    {
      200: {
        description: "Rows for keys with credit > 0, and what no touch explains.",
        type: "object",
        properties: {
          model: { type: "string" },
          group_by: { type: "string" },
          currency: { type: "string" },
          rows: {
            type: "array",
            items: { type: "object", properties: { key: { type: "string" }, ...KEY_FIGURES.properties } },
          },
          unattributed: KEY_FIGURES,
          other_currencies: { type: "object" },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

const BUCKET = {
  type: "object",
  properties: {
    start: ISO_OUT,
    received: { type: "integer" },
    accepted: { type: "integer" },
    conversions: { type: "integer" },
    value: { type: "number" },
    clicks: { type: "integer" },
    impressions: { type: "integer" },
    conversion_rate: RATIO,
    flagged: {
      type: "integer",
      description:
        "Conversions with a traffic-quality flag (counted in `conversions` unless the workspace excludes them).",
    },
    flagged_clicks: { type: "integer", description: "Clicks with a traffic-quality flag." },
    duplicates: { type: "integer" },
    dedup_rate: RATIO,
    rejected: { type: "integer" },
    error_rate: RATIO,
    latency_ms_p50: { type: ["number", "null"] },
    latency_ms_p95: { type: ["number", "null"] },
    pipeline_ms_p50: { type: ["number", "null"] },
    pipeline_ms_p95: { type: ["number", "null"] },
  },
};

export const metricsSchema: FastifySchema = {
  summary: "Tracking health by minute, hour or day",
  description: "Buckets count by arrival (`received_at`); test events count nowhere.",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      from: FROM,
      to: TO,
      bucket: enumQuery(["minute", "hour", "day"], "hour", "Bucket size (at most 10,000 buckets)."),
    },
  },
  response: responses(
    {
      200: {
        description: "The buckets in time order.",
        type: "object",
        properties: { bucket: { type: "string" }, buckets: { type: "array", items: BUCKET } },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

const FLAG_COUNTS = {
  type: "object",
  properties: Object.fromEntries(
    ["bot", "too_fast", "click_flood", "conversion_burst", "datacenter_ip"].map((f) => [
      f,
      { type: "number" },
    ]),
  ),
};

const QUALITY_ROW = {
  type: "object",
  properties: {
    key: { type: "string" },
    clicks: { type: "integer" },
    flagged_clicks: { type: "integer" },
    conversions: {
      type: "number",
      description: "Sum of credit under `model`, as in the attribution report.",
    },
    flagged_conversions: { type: "number" },
    flags: FLAG_COUNTS,
  },
};

export const qualityReportSchema: FastifySchema = {
  summary: "Traffic-quality report",
  description:
    "Clicks (by click time) and conversions (by `event_time`, credit under `model`) per key, how many of " +
    "them flagged and how many carried each flag; most flagged first. Flagged conversions are always " +
    "counted here, whatever `flagged_conversions` says. `top` lists the most flagged address keys " +
    "(truncated, never an address) and user agents of the period's flagged conversions and clicks.",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      from: FROM,
      to: TO,
      model: MODEL,
      group_by: enumQuery(GROUP_BYS, "platform", "Grouping."),
      bucket: enumQuery(["hour", "day"], "hour", "Size of the `series` buckets (flagged share over time)."),
    },
  },
  response: responses(
    {
      200: {
        description: "The rows, what no touch explains, and the flagged share over time per key.",
        type: "object",
        properties: {
          model: { type: "string" },
          group_by: { type: "string" },
          rows: { type: "array", items: QUALITY_ROW },
          unattributed: {
            type: "object",
            properties: {
              conversions: { type: "number" },
              flagged_conversions: { type: "number" },
              flags: FLAG_COUNTS,
            },
          },
          series: {
            type: "array",
            items: {
              type: "object",
              properties: {
                start: ISO_OUT,
                key: { type: "string" },
                clicks: { type: "integer" },
                flagged_clicks: { type: "integer" },
                conversions: { type: "number" },
                flagged_conversions: { type: "number" },
              },
            },
          },
          top: {
            type: "object",
            properties: {
              addresses: {
                type: "array",
                description: "Truncated address keys (an HMAC of the address or its /64; never an address).",
                items: {
                  type: "object",
                  properties: { key: { type: "string" }, count: { type: "integer" } },
                },
              },
              user_agents: {
                type: "array",
                items: {
                  type: "object",
                  properties: { user_agent: { type: "string" }, count: { type: "integer" } },
                },
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};
