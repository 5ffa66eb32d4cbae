/**
 * Route schemas: the first gate of every route's input, and the OpenAPI 3.1 document served at
 * `GET /openapi.json` (generated from them by @fastify/swagger).
 *
 * Adding a route? Give it a schema, or `test/core/openapi.test.ts` fails:
 *
 * 1. In this folder's file for the resource (or a new `<resource>.ts`), export an object:
 *
 *    ```ts
 *    export const rotateKeySchema = {
 *      summary: "Rotate a key",                      // one line, shown in the document
 *      tags: ["workspaces"],
 *      security: SECRET,                            // SECRET | ADMIN | PUBLIC | OPEN (common.ts)
 *      body: { type: "object", required: ["key"], properties: {
 *        key: { type: "string", enum: ["public", "secret"] },
 *        grace_seconds: { type: "integer", minimum: 0, maximum: 604800 },
 *      } },
 *      response: responses({ 200: { description: "The new key.", type: "object" } },
 *                          [...SECRET_ERRORS, ...BODY_ERRORS, "validation_failed"]),
 *    };
 *    ```
 * 2. Register the route with it: `app.post("/v1/…", { schema: rotateKeySchema }, handler)`.
 *
 * Rules that keep the contract's error codes what the handlers answer:
 * - Ajv only checks (no coercion, no defaults, no removal). The handler still parses and keeps
 *   its own checks; the schema must never be stricter than them on a field they answer with a
 *   code other than the mapped one (body fields → `validation_failed`, query parameters →
 *   `invalid_query`, a body that is not an object → `invalid_body`; `x-error-code` on a
 *   property overrides, see validator.ts).
 * - Query parameters are strings (and a list when repeated, which the gate refuses). Declare them
 *   `type: "string"`; an enum includes `""` when an empty value means the default.
 * - A list of items checked one by one (events, touches) is `batch(...)`: the schema checks the
 *   list (1 to the limit long), never the items, so one bad item never sinks the batch.
 * - `security` is also what the gate checks before it answers a schema failure, so declare the
 *   key the handler checks first. A shared component is added to SHARED_SCHEMAS below and
 *   referenced as `{ $ref: "Name#" }`.
 */
import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { ErrorSchema, SECURITY_SCHEMES } from "./common.js";
import { DestinationConfigSchema, DestinationSchema } from "./destinations.js";
import { BatchResultSchema, EventSchema } from "./events.js";
import { openapiSchema } from "./health.js";
import { ConversionSchema } from "./reports.js";
import { RuleSchema, SignalSchema } from "./rules.js";
import { TouchSchema } from "./touches.js";
import { SpendSchema } from "./spend.js";
import { AdjustmentSchema, CrmOrderSchema } from "./reconciliation.js";
import type { SchemaObject } from "./validator.js";
import { ConversionActionSchema, WorkspaceSchema } from "./workspaces.js";

/** Components every route may `$ref`; they appear under components.schemas by their `$id`. */
export const SHARED_SCHEMAS: readonly SchemaObject[] = [
  ErrorSchema,
  EventSchema,
  TouchSchema,
  BatchResultSchema,
  WorkspaceSchema,
  ConversionActionSchema,
  ConversionSchema,
  DestinationSchema,
  DestinationConfigSchema,
  SpendSchema,
  RuleSchema,
  SignalSchema,
  CrmOrderSchema,
  AdjustmentSchema,
];

const TAGS = [
  ["events", "Server-to-server events."],
  ["browser", "Browser collection with the public key."],
  ["touches", "Clicks and impressions from ad platforms."],
  ["links", "Tracking links."],
  ["spend", "Ad spend: sent, imported, or pulled by spend sources."],
  ["reconciliation", "CRM orders and adjustments of conversions (retractions, restatements)."],
  ["reports", "Conversions, attribution and tracking health."],
  ["destinations", "Forwarding to ad platforms and webhooks."],
  ["workspaces", "Workspaces, settings and conversion actions."],
  ["privacy", "Erasure."],
  ["live", "The live feed and the test-events view."],
  ["session", "Dashboard login."],
  ["dashboard", "The dashboard's files."],
  ["health", "Liveness, readiness, metrics, this document."],
] as const;

const DESCRIPTION = `Self-hosted, real-time conversion tracking.

Conventions: JSON in and out (UTF-8); times out are ISO-8601 UTC with milliseconds, times in are
ISO-8601 with a zone or unix seconds; \`from\` is inclusive, \`to\` exclusive. Every error is the
\`Error\` object with the status its code has (docs/errors.md). Limits (defaults): body 1 MiB,
1000 items per batch, JSON nested at most 20 deep.

The checks happen in this order: the body is read and parsed (413, 415, 400), then the key
(401, 403), then the shape of the request (400 \`invalid_body\` / \`invalid_query\`, 422
\`validation_failed\` naming \`details.field\`). In batches (\`x-batch\` lists) each item is
checked on its own and answered in \`results\`.`;

/** The document's version: the HTTP contract's (the `/v1` of its paths). */
const CONTRACT_VERSION = "1";

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Tally", version: CONTRACT_VERSION, description: DESCRIPTION },
      tags: TAGS.map(([name, description]) => ({ name, description })),
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // @fastify/websocket hides its routes from the document; the live feed is part of the contract.
    transform: ({ schema, url, route }) => ({
      schema: (route as { websocket?: boolean }).websocket === true ? { ...schema, hide: false } : schema,
      url,
    }),
    refResolver: {
      // Components keep their names (Error, Event, …) instead of def-0, def-1.
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
  });
  app.get("/openapi.json", { schema: openapiSchema }, (_req, reply) =>
    reply.header("cache-control", "no-cache").send(app.swagger()),
  );
}
