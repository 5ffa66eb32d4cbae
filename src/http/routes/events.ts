/** POST /v1/events: server-to-server ingestion with a result per event. */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import type { AppDeps } from "../deps.js";
import { bodyObject } from "../params.js";
import type { IngestResponse } from "../../pipeline/ingest-pipeline.js";
import { postEventsSchema } from "../schemas/events.js";

export function batchOf(b: Record<string, unknown>, field: string, maxBatch: number): unknown[] {
  const data = b[field];
  if (data === undefined)
    throw new HttpError("invalid_body", `The body needs \`${field}\`: a list of events.`, { field });
  if (!Array.isArray(data)) throw new HttpError("invalid_body", `\`${field}\` must be a list.`, { field });
  if (data.length === 0) throw new HttpError("empty_batch", undefined, { field });
  if (data.length > maxBatch)
    throw new HttpError("batch_too_large", `The batch has ${data.length} items; the limit is ${maxBatch}.`, {
      limit: maxBatch,
      received: data.length,
    });
  return data;
}

export function testEventCodeOf(b: Record<string, unknown>): string | null {
  const c = b.test_event_code;
  if (c === undefined || c === null || c === "") return null;
  if (typeof c !== "string" || c.length > 64)
    throw new HttpError("validation_failed", "`test_event_code` must be a string of at most 64 characters.", {
      field: "test_event_code",
    });
  return c;
}

export function ensureReady(deps: AppDeps): void {
  if (!deps.readiness.ready)
    throw new HttpError(
      "not_ready",
      "The store is not reachable; nothing was stored. Retry after the time in `Retry-After`.",
      undefined,
      { "retry-after": "1" },
    );
}

export function countOutcomes(deps: AppDeps, res: IngestResponse, source: string): void {
  if (res.accepted) deps.prom.events.inc({ status: "accepted", source }, res.accepted);
  if (res.duplicates) deps.prom.events.inc({ status: "duplicate", source }, res.duplicates);
  if (res.rejected) deps.prom.events.inc({ status: "rejected", source }, res.rejected);
}

export function eventRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/events", { schema: postEventsSchema(deps.config.maxBatch) }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    const events = batchOf(b, "data", deps.config.maxBatch);
    const testEventCode = testEventCodeOf(b);
    ensureReady(deps);
    const end = deps.prom.ingestSeconds.startTimer({ route: "events" });
    const res = await deps.pipeline.ingest({
      workspace: ws,
      actions: await deps.directory.actionsOf(ws.id),
      events,
      testEventCode,
      source: "server",
      requestIp: null,
      requestUserAgent: null,
    });
    end();
    countOutcomes(deps, res, "server");
    return res;
  });
}
