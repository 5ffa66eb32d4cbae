/**
 * GET /v1/metrics: tracking health by minute, hour or day, from the rollups kept on ingest (by
 * arrival). GET /v1/metrics/event-time: conversions and value by when they happened, for
 * business trends, from the events themselves.
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import { BUCKET_MS } from "../../monitoring/buckets.js";
import { metricsJson } from "../../monitoring/metrics-json.js";
import type { Bucket } from "../../storage/storage.js";
import type { AppDeps } from "../deps.js";
import { enumParam, query, rangeParams } from "../params.js";
import { eventTimeMetricsSchema, metricsSchema } from "../schemas/reports.js";
import { isoTime } from "../../domain/time.js";

const DEFAULT_SPAN: Record<Bucket, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };
const MAX_BUCKETS = 10_000;

function rangeOf(q: Record<string, string | undefined>) {
  const bucket = enumParam(q, "bucket", ["minute", "hour", "day"] as const, "hour");
  const range = rangeParams(q);
  const to = range.to ?? Date.now() + 1;
  const from = range.from ?? to - DEFAULT_SPAN[bucket];
  if ((to - from) / BUCKET_MS[bucket] > MAX_BUCKETS)
    throw new HttpError(
      "invalid_query",
      `That range has more than ${MAX_BUCKETS} ${bucket} buckets; use a larger bucket or a shorter range.`,
      { field: "bucket" },
    );
  return { bucket, from, to };
}

export function metricsRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/metrics", { schema: metricsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const { bucket, from, to } = rangeOf(query(req.query));
    const rows = await deps.store.metrics(ws.id, from, to, bucket);
    const exclude = ws.quality.flaggedConversions === "exclude";
    return { bucket, buckets: rows.map((r) => metricsJson(r, exclude)) };
  });

  app.get("/v1/metrics/event-time", { schema: eventTimeMetricsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const { bucket, from, to } = rangeOf(query(req.query));
    const size = BUCKET_MS[bucket];
    const lo = from - (from % size);
    const found = await deps.store.monitoring.conversionsByEventTime(ws.id, ws.currency, lo, to, size);
    const byStart = new Map(found.map((b) => [b.start, b]));
    const buckets = [];
    for (let s = lo; s < to; s += size) {
      const b = byStart.get(s);
      buckets.push({
        start: isoTime(s),
        conversions: b?.conversions ?? 0,
        value: b ? Math.round(b.value * 1e6) / 1e6 : 0,
      });
    }
    return { bucket, time: "event_time", currency: ws.currency, buckets };
  });
}
