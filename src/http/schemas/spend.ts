/** Spend in (`POST /v1/spend`), spend sources, and the performance report. */
import type { FastifySchema } from "fastify";
import { DEFAULT_MODEL, GROUP_BYS, MODELS } from "../../attribution/index.js";
import { SPEND_SOURCE_TYPES } from "../../spend/source-config.js";
import {
  BODY_ERRORS,
  ISO_OUT,
  NULLABLE_STRING,
  RATIO,
  SECRET,
  SECRET_ERRORS,
  enumQuery,
  responses,
  timeQuery,
  type SchemaObject,
} from "./common.js";
import { batch } from "./events.js";

const TEXT = (max: number, description: string) => ({
  type: ["string", "number"],
  maxLength: max,
  description,
});

/** One day of spend of one campaign or ad; checked one by one. */
export const SpendSchema = {
  $id: "Spend",
  title: "Spend",
  description:
    "One day of spend, keyed by (date, platform, account, campaign, ad): the same key again replaces " +
    "the row. A campaign or ad with an id is keyed by the id (`campaign_id`, `ad_id`), else by its name. " +
    "Checked one by one: a bad row is `rejected` in `results`, the others are kept.",
  type: "object",
  required: ["date", "platform", "campaign", "spend"],
  properties: {
    date: {
      type: "string",
      description: "A day in the workspace's timezone, YYYY-MM-DD.",
      examples: ["2026-11-29"],
    },
    platform: TEXT(64, "google, meta, tiktok, linkedin, microsoft, or another name (lower-cased)."),
    account: TEXT(256, "The ad account."),
    campaign: TEXT(256, "The campaign's name (or id)."),
    campaign_id: TEXT(
      256,
      "The platform's id of the campaign: clicks carrying it (utm_id, campaign_id) meet this row.",
    ),
    ad: TEXT(256, "The ad's name (or id)."),
    ad_id: TEXT(256, "The platform's id of the ad."),
    spend: { type: ["number", "string"], description: "0 or more, in major units (120.5)." },
    currency: { type: "string", description: "ISO 4217; default the workspace's." },
    impressions: { type: ["integer", "string"], description: "0 or more." },
    clicks: { type: ["integer", "string"], description: "0 or more." },
  },
  examples: [
    { date: "2026-11-29", platform: "meta", campaign: "Brand", ad: "Video A", spend: 120.5, currency: "USD" },
  ],
} as const;

export const postSpendSchema = (maxBatch: number): FastifySchema => ({
  summary: "Send spend",
  description:
    "Answered like POST /v1/events: a result per row; valid rows are stored (replacing their key) when " +
    "others are rejected. Durable before the answer.",
  tags: ["spend"],
  security: SECRET,
  body: {
    type: "object",
    required: ["data"],
    properties: { data: batch("Spend", maxBatch, "spend rows") },
    examples: [{ data: SpendSchema.examples }],
  },
  response: responses({ 200: { $ref: "BatchResult#", description: "A result per row." } }, [
    ...SECRET_ERRORS,
    ...BODY_ERRORS,
    "batch_too_large",
    "empty_batch",
  ]),
});

const FIGURES: Record<string, SchemaObject> = {
  spend: { type: "number", description: "Spend in the workspace currency." },
  impressions: { type: "number" },
  clicks: { type: "number", description: "Clicks the platform reported with its spend." },
  conversions: { type: "number", description: "Attribution credit under `model`." },
  value: { type: "number", description: "Credit × value, in the workspace currency." },
  cpa: { ...RATIO, description: "spend / conversions; null when conversions is 0." },
  roas: { ...RATIO, description: "value / spend; null when spend is 0." },
};

export const performanceReportSchema: FastifySchema = {
  summary: "Performance report",
  description:
    "Spend, impressions, clicks, conversions, value, CPA and ROAS per platform, campaign or ad. Conversions " +
    "and value are the attribution report's (by `event_time` in [from, to)); spend sums the days whose start " +
    "is in [from, to) in the workspace's timezone. Spend and value in other currencies are apart in " +
    "`other_currencies` (docs/spend.md).",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      from: timeQuery("Start, inclusive."),
      to: timeQuery("End, exclusive."),
      model: enumQuery(MODELS, DEFAULT_MODEL, "Attribution model."),
      group_by: enumQuery(GROUP_BYS, "campaign", "Grouping."),
      series: enumQuery(["none", "day"], "none", "`day`: also `daily`, the spend of each day (charts)."),
    },
  },
  response: responses(
    {
      200: {
        description: "A row per key with spend or conversions, and the totals.",
        type: "object",
        properties: {
          model: { type: "string" },
          group_by: { type: "string" },
          currency: { type: "string" },
          rows: {
            type: "array",
            items: {
              type: "object",
              properties: {
                key: { type: "string" },
                platform: { type: "string" },
                campaign: { type: "string", description: "The campaign of an ad row." },
                campaign_id: NULLABLE_STRING,
                ad_id: NULLABLE_STRING,
                account: NULLABLE_STRING,
                ...FIGURES,
              },
            },
          },
          totals: { type: "object", properties: FIGURES },
          daily: {
            type: "array",
            description: "With `series=day`: spend per day in the workspace currency, oldest first.",
            items: { type: "object", properties: { date: { type: "string" }, spend: { type: "number" } } },
          },
          other_currencies: {
            type: "object",
            additionalProperties: {
              type: "object",
              properties: {
                spend: { type: "number" },
                conversions: { type: "number" },
                value: { type: "number" },
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

const SOURCE: SchemaObject = {
  type: "object",
  properties: {
    id: { type: "string", examples: ["src_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
    type: { type: "string", enum: [...SPEND_SOURCE_TYPES] },
    name: { type: "string" },
    config: {
      type: ["object", "null"],
      additionalProperties: true,
      description: "The config without its secrets.",
    },
    interval_minutes: { type: "integer" },
    created_at: ISO_OUT,
    last_sync_at: { type: ["string", "null"], format: "date-time" },
    last_error: {
      ...NULLABLE_STRING,
      description: "The platform's error of the last sync; null when it went through.",
    },
    last_rows: { type: ["integer", "null"], description: "Rows stored by the last sync that went through." },
    next_sync_at: ISO_OUT,
  },
};

const ID_PARAMS = {
  type: "object",
  properties: { id: { type: "string", description: "The spend source id (`src_` and 26 characters)." } },
};

export const spendSourceSchemas = {
  create: {
    summary: "Create a spend source",
    description:
      "Pulls the account's daily spend per campaign and ad from the platform's reporting API every " +
      "`interval_minutes`, the last days again each time. Credentials are sealed and never answered back.",
    tags: ["spend"],
    security: SECRET,
    body: {
      type: "object",
      required: ["type", "config"],
      properties: {
        type: { type: "string", enum: [...SPEND_SOURCE_TYPES] },
        name: { type: ["string", "null"], maxLength: 200 },
        interval_minutes: { type: "integer", description: "5 to 1440; default 60." },
        config: {
          type: "object",
          description:
            "`meta`: `ad_account_id`, `access_token`, `api_version`?. `google_ads`: `customer_id`, " +
            "`developer_token`, `access_token` (or `client_id`, `client_secret`, `refresh_token`), " +
            "`login_customer_id`?, `api_version`?, `token_endpoint`?. `tiktok`: `advertiser_id`, `access_token`. " +
            "`linkedin`: `account_id`, `access_token`, `version`?. Every type: `endpoint`?, `currency`?, " +
            "`lookback_days`? (1–30, default 3), `timeout_ms`?.",
        },
      },
      examples: [{ type: "meta", config: { ad_account_id: "act_123", access_token: "EAAB…" } }],
    },
    response: responses({ 201: { ...SOURCE, description: "The source." } }, [
      ...SECRET_ERRORS,
      ...BODY_ERRORS,
      "validation_failed",
      "endpoint_not_allowed",
      "limit_reached",
    ]),
  } satisfies FastifySchema,
  list: {
    summary: "List spend sources",
    tags: ["spend"],
    security: SECRET,
    response: responses(
      {
        200: {
          description: "The sources.",
          type: "object",
          properties: { data: { type: "array", items: SOURCE } },
        },
      },
      SECRET_ERRORS,
    ),
  } satisfies FastifySchema,
  get: {
    summary: "One spend source",
    tags: ["spend"],
    security: SECRET,
    params: ID_PARAMS,
    response: responses({ 200: { ...SOURCE, description: "The source." } }, SECRET_ERRORS),
  } satisfies FastifySchema,
  delete: {
    summary: "Delete a spend source",
    description: "It pulls no more; the spend it stored stays.",
    tags: ["spend"],
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
  } satisfies FastifySchema,
  sync: {
    summary: "Pull a spend source now",
    description:
      "Answers once the pull is done: the source, with `last_error` set when the platform refused.",
    tags: ["spend"],
    security: SECRET,
    params: ID_PARAMS,
    response: responses(
      {
        200: {
          ...SOURCE,
          description: "The source after the pull; `synced` tells how it went.",
          properties: {
            ...(SOURCE.properties as Record<string, SchemaObject>),
            synced: {
              type: "object",
              properties: { ok: { type: "boolean" }, rows: { type: "integer" }, error: NULLABLE_STRING },
            },
          },
        },
      },
      SECRET_ERRORS,
    ),
  } satisfies FastifySchema,
};
