/** Rules and signals (secret key): conditions over performance figures, and what they raised. */
import type { FastifySchema } from "fastify";
import { MODELS } from "../../attribution/index.js";
import { GROUP_BYS } from "../../attribution/report.js";
import { METRICS, OPS, SIGNALS } from "../../rules/rule.js";
import {
  BODY_ERRORS,
  ISO_OUT,
  SECRET,
  SECRET_ERRORS,
  intQuery,
  object,
  responses,
  timeQuery,
  type SchemaObject,
} from "./common.js";

const APPLY: SchemaObject = {
  type: ["object", "null"],
  description:
    "Apply the signal to the platform through a spend source's credentials: `spend_source` (id), " +
    "`change_pct` (default 20), `max_daily_change_pct` (default 50), `dry_run` (record what would be done, change nothing).",
  properties: {
    spend_source: { type: "string" },
    change_pct: { type: "number" },
    max_daily_change_pct: { type: "number" },
    dry_run: { type: "boolean" },
  },
};

const FIELDS: Record<string, SchemaObject> = {
  name: { type: "string", examples: ["CPA too high"] },
  metric: { type: "string", enum: [...METRICS] },
  op: { type: "string", enum: [...OPS] },
  threshold: { type: "number", examples: [40] },
  window_hours: {
    type: "number",
    description: "The trailing window, above 0 and at most 2160.",
    examples: [24],
  },
  group_by: { type: "string", enum: [...GROUP_BYS] },
  model: { type: "string", enum: [...MODELS], default: "last_click" },
  min_spend: { type: "number", default: 0 },
  min_conversions: { type: "number", default: 0 },
  signal: { type: "string", enum: [...SIGNALS] },
  cooldown_minutes: { type: "number", default: 60 },
  enabled: { type: "boolean", default: true },
  apply: APPLY,
};

export const RuleSchema = {
  $id: "Rule",
  title: "Rule",
  type: "object",
  properties: {
    id: { type: "string", examples: ["rul_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
    ...FIELDS,
    created_at: ISO_OUT,
    updated_at: ISO_OUT,
    state: {
      type: "object",
      description:
        "This node's latest evaluation: `evaluated_at`, `last_fired_at`, and per key (those that hold first) " +
        "`key`, `platform`, `value`, `holds`, `last_fired_at`, `cooldown_until`.",
    },
  },
} as const;

export const SignalSchema = {
  $id: "Signal",
  title: "Signal",
  type: "object",
  properties: {
    id: { type: "string", examples: ["sig_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
    rule_id: { type: "string" },
    rule: { type: "string", description: "The rule's name when it fired." },
    key: { type: "string" },
    platform: { type: "string" },
    metric: { type: "string", enum: [...METRICS] },
    value: {
      type: ["number", "null"],
      description: "null: undefined, or an infinite CPA (spend, no conversions).",
    },
    threshold: { type: "number" },
    signal: { type: "string", enum: [...SIGNALS] },
    at: ISO_OUT,
    applied: {
      type: "object",
      description:
        "Rules with `apply` only: `status` (pending, applied, failed, skipped, dry_run), `status_code`, `error`, " +
        "and what was (or would be) done: `action`, `from`, `to`.",
    },
  },
} as const;

const ID_PARAMS = {
  type: "object",
  properties: { id: { type: "string", description: "The rule id (`rul_` and 26 characters)." } },
};
const ONE = { $ref: "Rule#", description: "The rule." };

export const ruleSchemas: Record<string, FastifySchema> = {
  create: {
    summary: "Create a rule",
    description: "Evaluated over the trailing `window_hours` for every key of `group_by` (docs/rules.md).",
    tags: ["rules"],
    security: SECRET,
    body: object(FIELDS, {
      required: ["name", "metric", "op", "threshold", "window_hours", "group_by", "signal"],
    }),
    response: responses({ 201: ONE }, [
      ...SECRET_ERRORS,
      ...BODY_ERRORS,
      "validation_failed",
      "limit_reached",
    ]),
  },
  list: {
    summary: "List rules with their state",
    tags: ["rules"],
    security: SECRET,
    response: responses(
      {
        200: { description: "The rules.", ...object({ data: { type: "array", items: { $ref: "Rule#" } } }) },
      },
      SECRET_ERRORS,
    ),
  },
  get: {
    summary: "A rule with its state",
    tags: ["rules"],
    security: SECRET,
    params: ID_PARAMS,
    response: responses({ 200: ONE }, SECRET_ERRORS),
  },
  patch: {
    summary: "Change a rule",
    description: "Only the fields given change; `apply: null` stops applying.",
    tags: ["rules"],
    security: SECRET,
    params: ID_PARAMS,
    body: object(FIELDS),
    response: responses({ 200: ONE }, [...SECRET_ERRORS, ...BODY_ERRORS, "validation_failed"]),
  },
  delete: {
    summary: "Delete a rule",
    tags: ["rules"],
    security: SECRET,
    params: ID_PARAMS,
    response: responses(
      { 200: { description: "Deleted.", ...object({ id: { type: "string" }, deleted: { const: true } }) } },
      SECRET_ERRORS,
    ),
  },
  signals: {
    summary: "Signals raised by rules",
    description: "Newest first, `at` in [`from`, `to`).",
    tags: ["rules"],
    security: SECRET,
    querystring: object({
      from: timeQuery("First time included (default: 7 days ago)."),
      to: timeQuery("Time excluded (default: now)."),
      limit: intQuery(1, 1000, 100, "Most signals answered."),
    }),
    response: responses(
      {
        200: {
          description: "The signals.",
          ...object({ data: { type: "array", items: { $ref: "Signal#" } } }),
        },
      },
      [...SECRET_ERRORS, "invalid_query"],
    ),
  },
};
