/**
 * Monitoring endpoints (secret key): the alerts (`GET /v1/alerts`) and each kind's settings
 * (`GET /v1/alert-rules`, `PUT /v1/alert-rules/{kind}`). The monitor reads the settings
 * within 30 s of a change, on every node.
 */
import type { FastifyInstance } from "fastify";
import { ALERT_KINDS, isAlertKind } from "../../domain/alert.js";
import { HttpError } from "../../domain/errors.js";
import { alertJson } from "../../monitoring/alert-json.js";
import { applySettings, settingsOf, THRESHOLDS } from "../../monitoring/alert-settings.js";
import type { AlertStatus } from "../../storage/monitoring-store.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, enumParam, intParam, invalid, query, rangeParams } from "../params.js";
import { listAlertsSchema, listRulesSchema, putRuleSchema } from "../schemas/alerts.js";

export function alertRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/alerts", { schema: listAlertsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to } = rangeParams(q);
    const status = enumParam<AlertStatus | "">(q, "status", ["firing", "resolved"], "");
    const limit = intParam(q, "limit", 100, 1, 1000);
    const rows = await deps.store.monitoring.listAlerts(ws.id, { status: status || null, from, to, limit });
    return { data: rows.map(alertJson) };
  });

  const rulesOf = async (workspaceId: string) => {
    const stored: Record<string, Record<string, unknown>> = {};
    for (const r of await deps.store.monitoring.listAlertRules(workspaceId)) stored[r.kind] = r.settings;
    return { stored, settings: settingsOf(stored) };
  };

  app.get("/v1/alert-rules", { schema: listRulesSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const { settings } = await rulesOf(ws.id);
    return {
      data: ALERT_KINDS.map((kind) => ({
        kind,
        ...settings[kind],
        threshold_meaning: THRESHOLDS[kind].meaning,
      })),
    };
  });

  app.put<{ Params: { kind: string } }>("/v1/alert-rules/:kind", { schema: putRuleSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const kind = req.params.kind;
    if (!isAlertKind(kind))
      throw new HttpError(
        "not_found",
        `There is no alert kind "${kind.slice(0, 64)}"; kinds are ${ALERT_KINDS.join(", ")}.`,
        {
          field: "kind",
        },
      );
    const patch = bodyObject(req.body);
    const { stored, settings } = await rulesOf(ws.id);
    const r = applySettings(kind, settings[kind], patch);
    if (!r.ok) throw invalid(r.field, r.message);
    const changed = { ...(stored[kind] ?? {}), ...patch };
    await deps.store.monitoring.putAlertRule({
      workspaceId: ws.id,
      kind,
      settings: changed,
      updatedAt: Date.now(),
    });
    return { kind, ...r.settings, threshold_meaning: THRESHOLDS[kind].meaning };
  });
}
