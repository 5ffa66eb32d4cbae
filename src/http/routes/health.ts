/** Liveness, readiness and Prometheus metrics. */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import type { AppDeps } from "../deps.js";
import { healthzSchema, prometheusSchema, readyzSchema } from "../schemas/health.js";

export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/healthz", { schema: healthzSchema }, () => ({ status: "ok" }));

  app.get("/readyz", { schema: readyzSchema }, async (_req, reply) => {
    if (await deps.readiness.check()) return { status: "ready", store: deps.store.kind };
    // The store's own error stays in the log (Readiness logs it): it names hosts, users and paths.
    const e = new HttpError("not_ready");
    return reply.code(503).header("retry-after", "1").send(e.toBody());
  });

  app.get("/metrics", { schema: prometheusSchema }, async (req, reply) => {
    await deps.auth.admin(req);
    return reply
      .header("content-type", deps.prom.registry.contentType)
      .send(await deps.prom.registry.metrics());
  });
}
