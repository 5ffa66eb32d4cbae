/** POST /v1/erasure: forget a person. */
import type { FastifySchema } from "fastify";
import { BODY_ERRORS, SECRET, SECRET_ERRORS, intQuery, responses } from "./common.js";

const ID = (max: number, description: string) => ({ type: ["string", "null"], maxLength: max, description });

export const erasureSchema: FastifySchema = {
  summary: "Erase a person",
  description:
    "Removes every identifier linked to the person named by at least one of these fields, and " +
    "the links themselves; aggregate counts stay.",
  tags: ["privacy"],
  security: SECRET,
  body: {
    type: "object",
    properties: {
      email: ID(512, "Plain; hashed before lookup."),
      phone: ID(64, "Plain; hashed before lookup (the workspace's default_country applies)."),
      external_id: ID(256, "Your id of the person."),
      anonymous_id: ID(256, "The browser's anonymous id."),
    },
    examples: [{ email: "jane.doe@example.com" }],
  },
  response: responses(
    {
      200: {
        description: "How many identifiers were removed.",
        type: "object",
        properties: { erased: { type: "integer" } },
      },
    },
    [...SECRET_ERRORS, ...BODY_ERRORS, "validation_failed"],
  ),
};

/** GET /v1/erasures: the erasure log. */
export const erasureLogSchema: FastifySchema = {
  summary: "The erasure log",
  description:
    "Every erasure of the workspace, newest first: when, and how many identifiers it removed — " +
    "never which.",
  tags: ["privacy"],
  security: SECRET,
  querystring: {
    type: "object",
    properties: { limit: intQuery(1, 1000, 100, "How many entries.") },
  },
  response: responses(
    {
      200: {
        description: "The log.",
        type: "object",
        properties: {
          data: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: { type: "string" },
                erased_at: { type: "string", format: "date-time" },
                identifiers: { type: "integer" },
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query"],
  ),
};
