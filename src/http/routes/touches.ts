/** POST /v1/clicks and /v1/impressions: imports of ad touches, answered like /v1/events. */
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../deps.js";
import { bodyObject } from "../params.js";
import { batchOf, ensureReady } from "./events.js";
import { postTouchesSchema } from "../schemas/touches.js";

export function touchRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const [path, kind] of [
    ["/v1/clicks", "click"],
    ["/v1/impressions", "impression"],
  ] as const) {
    app.post(path, { schema: postTouchesSchema(kind, deps.config.maxBatch) }, async (req) => {
      const ws = await deps.auth.workspace(req);
      const data = batchOf(bodyObject(req.body), "data", deps.config.maxBatch);
      ensureReady(deps);
      const res = await deps.touches.ingest({ workspace: ws, kind, touches: data });
      for (const r of res.results)
        if (r.status !== "rejected") deps.prom.touches.inc({ kind, status: r.status });
      return res;
    });
  }
}
