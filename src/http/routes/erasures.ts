/** GET /v1/erasures: the workspace's erasure log — when, and how many identifiers, never which. */
import type { FastifyInstance } from "fastify";
import { isoTime } from "../../domain/time.js";
import type { AppDeps } from "../deps.js";
import { intParam, query } from "../params.js";
import { erasureLogSchema } from "../schemas/erasure.js";

export function erasureLogRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/erasures", { schema: erasureLogSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const limit = intParam(query(req.query), "limit", 100, 1, 1000);
    const rows = await deps.store.listErasures(ws.id, limit);
    return {
      data: rows.map((r) => ({ id: r.id, erased_at: isoTime(r.erasedAt), identifiers: r.identifiers })),
    };
  });
}
