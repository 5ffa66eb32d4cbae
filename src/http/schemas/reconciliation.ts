/** CRM orders in, adjustments, and the reconciliation report. */
import type { FastifySchema } from "fastify";
import { ORDER_STATUSES } from "../../storage/reconciliation-store.js";
import { RECONCILIATION_GROUPS } from "../../reconciliation/report.js";
import {
  BODY_ERRORS,
  NULLABLE_STRING,
  RATIO,
  SECRET,
  SECRET_ERRORS,
  enumQuery,
  intQuery,
  responses,
  timeQuery,
  type SchemaObject,
} from "./common.js";
import { batch } from "./events.js";

/** One order of the business's CRM; checked one by one. */
export const CrmOrderSchema = {
  $id: "CrmOrder",
  title: "CrmOrder",
  description:
    "One order as the business's CRM has it, keyed by `order_id`: the same id again replaces the row. " +
    "A refunded or cancelled order retracts the conversion with its order id; a completed one whose value " +
    "differs restates it. Checked one by one: a bad row is `rejected` in `results`, the others are kept.",
  type: "object",
  required: ["order_id", "time", "value", "status"],
  properties: {
    order_id: {
      type: ["string", "number"],
      maxLength: 256,
      description: "The order id the site sends as `custom_data.order_id`.",
    },
    time: {
      type: ["string", "number"],
      description: "When it was ordered: ISO-8601 with a zone, or unix seconds.",
    },
    value: { type: ["number", "string"], description: "0 or more, in major units." },
    currency: { type: "string", description: "ISO 4217; default the workspace's." },
    status: { type: "string", description: ORDER_STATUSES.join(" | ") },
    event_name: { type: "string", description: "The conversion action it is a sale of; default Purchase." },
  },
  examples: [
    { order_id: "A-1001", time: "2026-03-01T10:00:00Z", value: 70, currency: "USD", status: "refunded" },
  ],
} as const;

/** One adjustment asked for by hand; checked one by one. */
export const AdjustmentSchema = {
  $id: "Adjustment",
  title: "Adjustment",
  description:
    "Retract or restate the conversion with this `order_id` (or `conversion_id`). Adjusting twice the same " +
    "way is a no-op (`duplicate`); an unknown order or conversion is `rejected` with `not_found`.",
  type: "object",
  required: ["type"],
  properties: {
    order_id: { type: ["string", "number"], maxLength: 256 },
    conversion_id: { type: "string", description: "Tally's id of the conversion (`evt_…`)." },
    type: { type: "string", description: "retract | restate" },
    value: { type: ["number", "string"], description: "restate: the new total value." },
    currency: { type: "string", description: "ISO 4217; default the conversion's." },
    time: { type: ["string", "number"], description: "When it happened; default now." },
  },
  examples: [{ order_id: "A-1001", type: "restate", value: 55.5 }],
} as const;

const BATCH_ERRORS = [...SECRET_ERRORS, ...BODY_ERRORS, "batch_too_large", "empty_batch"] as const;

export const postOrdersSchema = (maxBatch: number): FastifySchema => ({
  summary: "Send CRM orders",
  description:
    "Answered like POST /v1/events: a result per row; valid rows are stored (replacing their order id) " +
    "when others are rejected, and the adjustments they cause are made in the same transaction (`adjustment` " +
    "on the row's result). Durable before the answer.",
  tags: ["reconciliation"],
  security: SECRET,
  body: {
    type: "object",
    required: ["data"],
    properties: { data: batch("CrmOrder", maxBatch, "orders") },
    examples: [{ data: CrmOrderSchema.examples }],
  },
  response: responses({ 200: { $ref: "BatchResult#", description: "A result per row." } }, [...BATCH_ERRORS]),
});

export const postAdjustmentsSchema = (maxBatch: number): FastifySchema => ({
  summary: "Adjust conversions",
  description:
    "Retractions and restatements by hand, a result per row: `accepted` (with the adjustment's `id` and " +
    "`conversion_id`), `duplicate` (already so), or `rejected` (`not_found`, `status_code` 404, for an unknown " +
    "order or conversion). Each destination that received the conversion is sent what its platform supports.",
  tags: ["reconciliation"],
  security: SECRET,
  body: {
    type: "object",
    required: ["data"],
    properties: { data: batch("Adjustment", maxBatch, "adjustments") },
    examples: [{ data: AdjustmentSchema.examples }],
  },
  response: responses({ 200: { $ref: "BatchResult#", description: "A result per row." } }, [...BATCH_ERRORS]),
});

const PAIR = (a: string, b: string): SchemaObject => ({
  type: "object",
  properties: { [a]: { type: "number" }, [b]: { type: "number" } },
});

const FIGURES: Record<string, SchemaObject> = {
  crm: { ...PAIR("orders", "value"), description: "CRM orders with `time` in [from, to)." },
  tracked: {
    ...PAIR("conversions", "value"),
    description: "Conversions with `event_time` in [from, to), values as tracked (before adjustments).",
  },
  matched: {
    type: "object",
    description: "CRM orders a tracked conversion has the order id of.",
    properties: {
      orders: { type: "number" },
      crm_value: { type: "number" },
      tracked_value: { type: "number" },
    },
  },
  missing: { ...PAIR("orders", "value"), description: "Sold but never tracked." },
  unconfirmed: {
    ...PAIR("conversions", "value"),
    description: "Tracked, but no CRM order has its order id.",
  },
  value_mismatch: {
    ...PAIR("orders", "difference"),
    description: "Matched orders whose values differ by more than 0.01; difference = CRM − tracked, summed.",
  },
  refunded: {
    ...PAIR("orders", "value"),
    description: "Refunded and cancelled orders (also counted in crm and matched).",
  },
  match_rate: { ...RATIO, description: "matched / CRM orders; null without CRM orders." },
};

const RANGE = {
  from: timeQuery("Start, inclusive (default: 30 days before `to`)."),
  to: timeQuery("End, exclusive (default: now)."),
  event_name: { type: "string", description: "The conversion action reconciled; default Purchase." },
};

export const reconciliationReportSchema: FastifySchema = {
  summary: "Reconciliation report",
  description:
    "CRM orders against tracked conversions: matched, missing, unconfirmed, value mismatches, refunded, the " +
    "match rate, in total and per day, month (workspace timezone) or last-click platform (docs/reconciliation.md).",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: { ...RANGE, group_by: enumQuery(RECONCILIATION_GROUPS, "month", "Grouping of `rows`.") },
  },
  response: responses(
    {
      200: {
        description: "Totals and a row per key.",
        type: "object",
        properties: {
          event_name: { type: "string" },
          group_by: { type: "string" },
          currency: { type: "string" },
          ...FIGURES,
          rows: {
            type: "array",
            items: { type: "object", properties: { key: { type: "string" }, ...FIGURES } },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};

export const reconciliationOrdersSchema: FastifySchema = {
  summary: "Missing orders and unconfirmed conversions",
  description:
    "The drill-down of the reconciliation report: ids, times and values only (no personal data), oldest first.",
  tags: ["reports"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: {
      ...RANGE,
      kind: enumQuery(
        ["missing", "unconfirmed"],
        "missing",
        "Missing CRM orders or unconfirmed conversions.",
      ),
      limit: intQuery(1, 1000, 100, "At most this many."),
    },
  },
  response: responses(
    {
      200: {
        description: "The list.",
        type: "object",
        properties: {
          kind: { type: "string" },
          data: {
            type: "array",
            items: {
              type: "object",
              properties: {
                order_id: NULLABLE_STRING,
                conversion_id: NULLABLE_STRING,
                time: { type: "string", format: "date-time" },
                value: { type: ["number", "null"] },
                currency: NULLABLE_STRING,
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};
