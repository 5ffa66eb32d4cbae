/** Workspaces (admin), a workspace's own settings, and its conversion actions (secret key). */
import type { FastifySchema } from "fastify";
import { ACTION_NAME, NON_CONVERSION_EVENTS, REQUIRABLE_FIELDS } from "../../domain/workspace.js";
import {
  ADMIN,
  AUTH_ERRORS,
  BODY_ERRORS,
  ISO_OUT,
  NULLABLE_STRING,
  SECRET,
  SECRET_ERRORS,
  responses,
} from "./common.js";

const CURRENCY = {
  type: ["string", "null"],
  pattern: "^\\s*[A-Za-z]{3}\\s*$",
  description: "a 3-letter ISO-4217 code such as USD (upper-cased).",
  examples: ["EUR"],
};
const TIMEZONE = {
  type: ["string", "null"],
  maxLength: 64,
  description: "An IANA time zone such as UTC or Europe/Paris.",
  examples: ["Europe/Paris"],
};

const QUALITY_THRESHOLDS = {
  min_click_to_conversion_seconds: {
    type: ["number", "null"],
    description:
      "`too_fast`: a conversion less than this many seconds after its last attributed click (0: off; default 3).",
  },
  max_clicks_per_ip_per_minute: {
    type: ["integer", "null"],
    description:
      "`click_flood`: clicks beyond this many from one address (IPv6: its /64) in 60 s (default 20).",
  },
  max_conversions_per_identity_per_hour: {
    type: ["integer", "null"],
    description:
      "`conversion_burst`: conversions beyond this many of one identity or address in an hour (default 5).",
  },
} as const;
const QUALITY_OUT = {
  type: "object",
  description: "Traffic-quality thresholds in force (docs/quality.md).",
  properties: QUALITY_THRESHOLDS,
} as const;
const FLAGGED_CONVERSIONS = {
  type: "string",
  enum: ["count", "exclude"],
  description:
    "`count` (default): flagged conversions count like others; `exclude`: kept and listed, left out of reports, metrics' conversions/value, rules and forwarding.",
} as const;

export const WorkspaceSchema = {
  $id: "Workspace",
  title: "Workspace",
  description: "A workspace's settings (never its secret key).",
  type: "object",
  properties: {
    id: { type: "string", examples: ["ws_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
    name: { type: "string" },
    currency: { type: "string" },
    timezone: { type: "string" },
    default_country: { ...NULLABLE_STRING, description: "For phone numbers without a country code." },
    allowed_origins: {
      type: "array",
      items: { type: "string" },
      description: "Origins that may use /t/collect; empty: any.",
    },
    consent_default: { type: "string", enum: ["denied", "granted"] },
    quality: QUALITY_OUT,
    flagged_conversions: FLAGGED_CONVERSIONS,
    public_key: { type: "string", examples: ["pk_3kT9mQ2xV7bN4cR8wZ1yHa"] },
    created_at: ISO_OUT,
  },
} as const;

export const ConversionActionSchema = {
  $id: "ConversionAction",
  title: "ConversionAction",
  type: "object",
  properties: {
    name: { type: "string", examples: ["Purchase"] },
    required: { type: "array", items: { type: "string", enum: [...REQUIRABLE_FIELDS] } },
    click_window_days: { type: "number" },
    view_window_days: { type: "number" },
  },
  examples: [
    { name: "Purchase", required: ["value", "currency"], click_window_days: 30, view_window_days: 1 },
  ],
} as const;

export const createWorkspaceSchema: FastifySchema = {
  summary: "Create a workspace",
  description: "Answers both keys; the secret key is shown only here.",
  tags: ["workspaces"],
  security: ADMIN,
  body: {
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, maxLength: 200, examples: ["Shop"] },
      currency: { ...CURRENCY, description: `Default USD: ${CURRENCY.description}` },
      timezone: { ...TIMEZONE, description: `Default UTC. ${TIMEZONE.description}` },
    },
  },
  response: responses(
    {
      201: {
        description: "The workspace with both keys.",
        type: "object",
        properties: {
          ...WorkspaceSchema.properties,
          secret_key: { type: "string", examples: ["sk_9fQw2LmX4vB7nR1tY8kZ3pC6dH0sJ5aE"] },
        },
      },
    },
    [...AUTH_ERRORS, ...BODY_ERRORS, "validation_failed", "not_ready"],
  ),
};

export const listWorkspacesSchema: FastifySchema = {
  summary: "List workspaces",
  description: "Every workspace of the instance, without secret keys.",
  tags: ["workspaces"],
  security: ADMIN,
  response: responses(
    {
      200: {
        description: "The workspaces.",
        type: "object",
        properties: { data: { type: "array", items: { $ref: "Workspace#" } } },
      },
    },
    [...AUTH_ERRORS, "not_ready"],
  ),
};

export const getWorkspaceSchema: FastifySchema = {
  summary: "This workspace's settings",
  tags: ["workspaces"],
  security: SECRET,
  response: responses({ 200: { $ref: "Workspace#", description: "The settings." } }, SECRET_ERRORS),
};

export const patchWorkspaceSchema: FastifySchema = {
  summary: "Change this workspace's settings",
  description: "Only the fields sent change; any other field is `422 validation_failed` naming it.",
  tags: ["workspaces"],
  security: SECRET,
  body: {
    type: "object",
    additionalProperties: false,
    properties: {
      name: { type: ["string", "null"], minLength: 1, maxLength: 200 },
      currency: CURRENCY,
      timezone: TIMEZONE,
      default_country: {
        type: ["string", "null"],
        pattern: "^(|\\s*[A-Za-z]{2}\\s*)$",
        description: "an ISO-3166 alpha-2 code such as US, or null.",
        examples: ["US"],
      },
      allowed_origins: {
        type: "array",
        maxItems: 100,
        items: { type: "string", examples: ["https://shop.example"] },
        description: "At most 100 origins (scheme and host only); empty: any origin.",
      },
      consent_default: {
        type: "string",
        enum: ["denied", "granted"],
        description: "How an event that carries no consent is treated when forwarding.",
      },
      quality: {
        type: "object",
        description: "Only the thresholds named change; null resets one to its default.",
        properties: QUALITY_THRESHOLDS,
      },
      flagged_conversions: FLAGGED_CONVERSIONS,
    },
    examples: [{ allowed_origins: ["https://shop.example"], consent_default: "granted" }],
  },
  response: responses({ 200: { $ref: "Workspace#", description: "The settings after the change." } }, [
    ...SECRET_ERRORS,
    ...BODY_ERRORS,
    "validation_failed",
  ]),
};

export const listActionsSchema: FastifySchema = {
  summary: "List conversion actions",
  tags: ["workspaces"],
  security: SECRET,
  response: responses(
    {
      200: {
        description: "The workspace's conversion actions.",
        type: "object",
        properties: { data: { type: "array", items: { $ref: "ConversionAction#" } } },
      },
    },
    SECRET_ERRORS,
  ),
};

const WINDOW = { type: "number", minimum: 0, maximum: 90, description: "Days, from 0 to 90." };

export const putActionSchema: FastifySchema = {
  summary: "Create or change a conversion action",
  description: "Creates the action when the name is new (30-day click window, 1-day view window).",
  tags: ["workspaces"],
  security: SECRET,
  params: {
    type: "object",
    properties: {
      name: {
        type: "string",
        allOf: [
          { pattern: ACTION_NAME.source, description: "letters, digits and _ only, up to 64 characters." },
          {
            not: { enum: [...NON_CONVERSION_EVENTS] },
            "x-error-code": "conflict",
            description: "a non-conversion event cannot be a conversion action.",
          },
        ],
        examples: ["Demo_Booked"],
      },
    },
  },
  body: {
    type: ["object", "null"],
    description: "Optional: without a body the action gets the defaults (or stays as it is).",
    additionalProperties: false,
    properties: {
      required: {
        type: "array",
        items: { type: "string", enum: [...REQUIRABLE_FIELDS] },
        description: "Fields an event of this name must carry.",
      },
      click_window_days: WINDOW,
      view_window_days: WINDOW,
    },
    examples: [{ required: ["value", "currency"], click_window_days: 30, view_window_days: 1 }],
  },
  response: responses({ 200: { $ref: "ConversionAction#", description: "The action." } }, [
    ...SECRET_ERRORS,
    ...BODY_ERRORS,
    "validation_failed",
    "conflict",
  ]),
};

/** Short names for the route registrations. */
export const workspaceSchemas = {
  create: createWorkspaceSchema,
  list: listWorkspacesSchema,
  get: getWorkspaceSchema,
  patch: patchWorkspaceSchema,
  actions: listActionsSchema,
  action: putActionSchema,
};
