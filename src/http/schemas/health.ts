/** Liveness, readiness, Prometheus metrics, and this document. */
import type { FastifySchema } from "fastify";
import { ADMIN, AUTH_ERRORS, OPEN, errorResponses } from "./common.js";

export const healthzSchema: FastifySchema = {
  summary: "Liveness",
  tags: ["health"],
  security: OPEN,
  response: {
    200: { description: "The process answers.", type: "object", properties: { status: { const: "ok" } } },
  },
};

export const readyzSchema: FastifySchema = {
  summary: "Readiness",
  description: "Whether the store is reachable (never the store's raw error).",
  tags: ["health"],
  security: OPEN,
  response: {
    200: {
      description: "Ready.",
      type: "object",
      properties: { status: { const: "ready" }, store: { type: "string", enum: ["sqlite", "postgres"] } },
    },
    ...errorResponses(["not_ready"]),
  },
};

export const prometheusSchema: FastifySchema = {
  summary: "Prometheus metrics",
  tags: ["health"],
  security: ADMIN,
  response: {
    200: {
      description: "Prometheus text exposition format.",
      content: { "text/plain": { schema: { type: "string" } } },
    },
    ...errorResponses(AUTH_ERRORS),
  },
};

export const openapiSchema: FastifySchema = {
  summary: "This document",
  description: "Every route as an OpenAPI 3.1 document, generated from the schemas the routes validate with.",
  tags: ["health"],
  security: OPEN,
  response: { 200: { description: "OpenAPI 3.1.", type: "object" } },
};
