/** POST /v1/clicks and /v1/impressions: imports of ad touches, answered like /v1/events. */
import type { FastifyInstance } from "fastify";
import { RollupAccumulator } from "../../pipeline/commit.js";
import { validateTouch } from "../../pipeline/steps/touch.js";
import type { TouchInput } from "../../domain/event.js";
import type { AppDeps } from "../deps.js";
import { bodyObject } from "../params.js";
import { batchOf, ensureReady } from "./events.js";
import type { EventResult } from "../../pipeline/ingest-pipeline.js";
import { postTouchesSchema } from "../schemas/touches.js";

export function touchRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const [path, kind] of [
    ["/v1/clicks", "click"],
    ["/v1/impressions", "impression"],
  ] as const) {
    app.post(path, { schema: postTouchesSchema(kind, deps.config.maxBatch) }, async (req) => {
      const ws = await deps.auth.workspace(req);
      const b = bodyObject(req.body);
      const data = batchOf(b, "data", deps.config.maxBatch);
      ensureReady(deps);
      const receivedAt = Date.now();
      const results: EventResult[] = new Array<EventResult>(data.length);
      const touches: TouchInput[] = [];
      const index: number[] = [];
      const ctx = {
        kind,
        receivedAt,
        maxAgeDays: deps.config.maxTouchAgeDays,
        maxFutureMinutes: deps.config.maxFutureMinutes,
        defaultCountry: ws.defaultCountry,
      };
      data.forEach((raw, i) => {
        const v = validateTouch(raw, ctx);
        if (v.ok) {
          touches.push(v.value);
          index.push(i);
        } else
          results[i] = {
            index: i,
            status: "rejected",
            error: { code: v.code, message: v.message, ...(v.field ? { field: v.field } : {}) },
          };
      });
      const rollups = new RollupAccumulator();
      const outcomes = touches.length
        ? await deps.store.commitTouches(ws.id, touches, receivedAt, rollups.drain())
        : [];
      let accepted = 0;
      outcomes.forEach((o, k) => {
        const i = index[k]!;
        if (o.status === "accepted") accepted++;
        results[i] = { index: i, status: o.status, id: o.id };
        deps.prom.touches.inc({ kind, status: o.status });
      });
      const duplicates = outcomes.length - accepted;
      return {
        received: data.length,
        accepted,
        duplicates,
        rejected: data.length - outcomes.length,
        results,
      };
    });
  }
}
