/**
 * Monitoring endpoints (secret key): the alerts (`GET /v1/alerts`) and each kind's settings
 * (`GET /v1/alert-rules`, `PUT /v1/alert-rules/{kind}`). The monitor reads the settings
 * within 5 s of a change, on every node. Alert channels (`/v1/alert-channels`): their URLs
 * (and SMTP host) pass the endpoint policy, their secrets are sealed and never shown back.
 */
import type { FastifyInstance } from "fastify";
import { ALERT_KINDS, isAlertKind } from "../../domain/alert.js";
import { HttpError } from "../../domain/errors.js";
import { alertJson } from "../../monitoring/alert-json.js";
import { readAlertChart } from "../../monitoring/alert-series.js";
import { applySettings, settingsOf, THRESHOLDS } from "../../monitoring/alert-settings.js";
import type { AlertStatus } from "../../storage/monitoring-store.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, enumParam, intParam, invalid, query, rangeParams } from "../params.js";
import {
  alertSeriesSchema,
  channelDeliveriesSchema,
  createChannelSchema,
  deleteChannelSchema,
  listAlertsSchema,
  listChannelsSchema,
  listRulesSchema,
  putRuleSchema,
} from "../schemas/alerts.js";
import {
  CHANNEL_TYPES,
  channelUrls,
  parseChannelConfig,
  publicChannelConfig,
  type ChannelConfig,
  type ChannelType,
} from "../../alerts/channel-config.js";
import { newId } from "../../domain/ids.js";
import { isoTime } from "../../domain/time.js";
import type { AlertChannelRecord } from "../../storage/monitoring-store.js";

/** A workspace has at most this many alert channels. */
export const MAX_ALERT_CHANNELS = 20;
const CHANNEL_ID = /^ach_[0-9a-z]{26}$/;
const ALERT_ID = /^alr_[0-9a-z]{26}$/;

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

  app.get<{ Params: { id: string } }>("/v1/alerts/:id/series", { schema: alertSeriesSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const id = req.params.id;
    const alert = ALERT_ID.test(id) ? await deps.store.monitoring.getAlert(ws.id, id) : null;
    if (!alert) throw new HttpError("not_found", "No alert with this id in this workspace.");
    const { plan, starts, counts } = await readAlertChart(deps.store.monitoring, alert, Date.now());
    return {
      alert_id: alert.id,
      step_seconds: plan.stepMs / 1000,
      expected_per_step: plan.expectedPerStep,
      starts: starts.map(isoTime),
      series: plan.series.map((x, i) => ({ ...x, counts: counts[i]! })),
    };
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

  const channelJson = (r: AlertChannelRecord) => {
    let config: Record<string, unknown> | null;
    try {
      config = publicChannelConfig(JSON.parse(deps.cipher.decrypt(r.configEnc)) as ChannelConfig);
    } catch {
      config = null;
    }
    return { id: r.id, type: r.type, min_severity: r.minSeverity, config, created_at: isoTime(r.createdAt) };
  };

  app.post("/v1/alert-channels", { schema: createChannelSchema }, async (req, reply) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    for (const k of Object.keys(b))
      if (!["type", "config", "min_severity"].includes(k))
        throw invalid(k, `\`${k}\` is not a channel field; fields are type, config, min_severity.`);
    if (!(CHANNEL_TYPES as readonly unknown[]).includes(b.type))
      throw invalid("type", `\`type\` must be one of ${CHANNEL_TYPES.join(", ")}.`);
    const type = b.type as ChannelType;
    const minSeverity = b.min_severity ?? "warning";
    if (minSeverity !== "warning" && minSeverity !== "critical")
      throw invalid("min_severity", "`min_severity` must be warning or critical.");
    const parsed = parseChannelConfig(type, b.config);
    if (!parsed.ok) throw invalid(parsed.field, parsed.message);
    const policy = deps.destinations?.policy;
    if (policy)
      for (const [field, url] of channelUrls(parsed.config)) {
        const verdict = await policy.check(url);
        if (!verdict.ok)
          throw new HttpError("endpoint_not_allowed", `\`${field}\` ${verdict.reason}`, { field });
      }
    const now = Date.now();
    const record = await deps.store.monitoring.createAlertChannel(
      {
        id: newId("ach", now),
        workspaceId: ws.id,
        type,
        configEnc: deps.cipher.encrypt(JSON.stringify(parsed.config)),
        minSeverity,
        createdAt: now,
      },
      MAX_ALERT_CHANNELS,
    );
    if (!record)
      throw new HttpError("limit_reached", `A workspace has at most ${MAX_ALERT_CHANNELS} alert channels.`, {
        limit: MAX_ALERT_CHANNELS,
      });
    return reply.code(201).send(channelJson(record));
  });

  app.get("/v1/alert-channels", { schema: listChannelsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    return { data: (await deps.store.monitoring.listAlertChannels(ws.id)).map(channelJson) };
  });

  app.delete<{ Params: { id: string } }>(
    "/v1/alert-channels/:id",
    { schema: deleteChannelSchema },
    async (req) => {
      const ws = await deps.auth.workspace(req);
      const id = req.params.id;
      const gone =
        CHANNEL_ID.test(id) && (await deps.store.monitoring.deleteAlertChannel(ws.id, id, Date.now()));
      if (!gone) throw new HttpError("not_found", "No alert channel with this id in this workspace.");
      return { id, deleted: true };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/alert-channels/:id/deliveries",
    { schema: channelDeliveriesSchema },
    async (req) => {
      const ws = await deps.auth.workspace(req);
      const id = req.params.id;
      if (!CHANNEL_ID.test(id))
        throw new HttpError("not_found", "No alert channel with this id in this workspace.");
      const rows = await deps.store.monitoring.listChannelDeliveries(ws.id, id, 200);
      return {
        data: rows.map((r) => ({
          id: r.id,
          alert_id: r.alertId,
          transition: r.transition,
          status: r.status,
          attempts: r.attempts,
          last_error: r.lastError,
          created_at: isoTime(r.createdAt),
          delivered_at: r.deliveredAt === null ? null : isoTime(r.deliveredAt),
        })),
      };
    },
  );
}
