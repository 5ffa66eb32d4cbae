/** GET /v1/metrics: tracking health by minute, hour or day, from the rollups kept on ingest. */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import { BUCKET_MS } from "../../monitoring/buckets.js";
import { metricsJson } from "../../monitoring/metrics-json.js";
import type { Bucket } from "../../storage/storage.js";
import type { AppDeps } from "../deps.js";
import { enumParam, query, rangeParams } from "../params.js";
import { metricsSchema } from "../schemas/reports.js";

const DEFAULT_SPAN: Record<Bucket, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };
const MAX_BUCKETS = 10_000;

export function metricsRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/metrics", { schema: metricsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
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
    const rows = await deps.store.metrics(ws.id, from, to, bucket);
    const exclude = ws.quality.flaggedConversions === "exclude";
    return { bucket, buckets: rows.map((r) => metricsJson(r, exclude)) };
  });
}
