/** Experiments (A/B): the list, and the report of one experiment's variants. */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import { isoTime } from "../../domain/time.js";
import { experimentReport, MAX_VARIANTS } from "../../experiments/report.js";
import { nameProblem } from "../../experiments/names.js";
import type { AppDeps } from "../deps.js";
import { query, rangeParams } from "../params.js";
import { experimentReportSchema, listExperimentsSchema } from "../schemas/experiments.js";

export function experimentRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/experiments", { schema: listExperimentsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const list = await deps.store.listExperiments(ws.id);
    return {
      data: list.map((e) => ({
        experiment: e.experiment,
        variants: e.variants,
        first_seen: isoTime(e.firstSeen),
        last_seen: isoTime(e.lastSeen),
      })),
    };
  });

  app.get<{ Params: { experiment: string } }>(
    "/v1/reports/experiments/:experiment",
    { schema: experimentReportSchema },
    async (req) => {
      const ws = await deps.auth.workspace(req);
      const experiment = req.params.experiment;
      if (nameProblem(experiment) !== null) throw new HttpError("not_found", "No such experiment.");
      const q = query(req.query);
      const { from, to } = rangeParams(q);
      const eventName = q.event_name || "Purchase";
      const counts = await deps.store.experimentCounts(ws.id, {
        experiment,
        eventName,
        from,
        to,
        currency: ws.currency,
        excludeFlagged: ws.quality.flaggedConversions === "exclude",
      });
      if (counts === null) throw new HttpError("not_found", `No event joined the experiment ${experiment}.`);
      if (counts.length > MAX_VARIANTS)
        throw new HttpError(
          "validation_failed",
          `The experiment has ${counts.length} variants; a report compares at most ${MAX_VARIANTS}.`,
          { field: "experiment" },
        );
      const control = q.control || counts[0]!.variant;
      if (!counts.some((c) => c.variant === control))
        throw new HttpError("validation_failed", `${control} is not a variant of ${experiment}.`, {
          field: "control",
        });
      return { ...experimentReport(experiment, eventName, control, counts), currency: ws.currency };
    },
  );
}
