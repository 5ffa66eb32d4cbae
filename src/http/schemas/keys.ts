/** POST /v1/workspace/keys/rotate: a new public or secret key, the old one kept for a grace. */
import type { FastifySchema } from "fastify";
import { BODY_ERRORS, SECRET, SECRET_ERRORS, responses } from "./common.js";

export const rotateKeySchema: FastifySchema = {
  summary: "Rotate a key",
  description:
    "Replaces the workspace's public or secret key. The old key keeps working for " +
    "`grace_seconds` after the answer (at most 7 days), then is `401` on every node; rotating " +
    "the secret key closes the live-feed connections it opened once the grace ends. The answer " +
    "waits until every node's key cache has let go of the old key (about 2 s).",
  tags: ["workspaces"],
  security: SECRET,
  body: {
    type: "object",
    required: ["key"],
    properties: {
      key: { type: "string", enum: ["public", "secret"], description: "Which key to replace." },
      grace_seconds: {
        type: "integer",
        minimum: 0,
        maximum: 604_800,
        description: "How long the old key keeps working after the answer (default 0).",
      },
    },
    examples: [{ key: "secret", grace_seconds: 3600 }],
  },
  response: responses(
    {
      200: {
        description: "The new key (shown once), and when the old one stops working.",
        type: "object",
        properties: {
          public_key: { type: "string" },
          secret_key: { type: "string" },
          old_key_expires_at: { type: "string", format: "date-time" },
        },
      },
    },
    [...SECRET_ERRORS, ...BODY_ERRORS, "validation_failed", "not_found"],
  ),
};
