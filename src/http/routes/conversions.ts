/** Reads by event_time: the conversions list (with attribution) and the attribution report. */
import type { FastifyInstance } from "fastify";
import { DEFAULT_MODEL, GROUP_BYS, MODELS } from "../../attribution/index.js";
import { isoTime } from "../../domain/time.js";
import type { AppDeps } from "../deps.js";
import { decodeCursor, encodeCursor, enumParam, intParam, query, rangeParams } from "../params.js";
import { attributionReportSchema, listConversionsSchema } from "../schemas/reports.js";

export function conversionRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/conversions", { schema: listConversionsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to } = rangeParams(q);
    const limit = intParam(q, "limit", 100, 1, 1000);
    const model = enumParam(q, "model", MODELS, DEFAULT_MODEL);
    const after = decodeCursor(q.cursor);
    const rows = await deps.store.listConversions(ws.id, { from, to, limit, after, model });
    const last = rows[rows.length - 1];
    return {
      data: rows.map((r) => ({
        id: r.id,
        event_name: r.eventName,
        event_time: isoTime(r.eventTime),
        received_at: isoTime(r.receivedAt),
        value: r.value,
        currency: r.currency,
        quality: r.quality,
        attribution: {
          model,
          touches: r.touches.map((t) => ({
            platform: t.platform,
            campaign: t.campaign,
            ad: t.ad,
            time: isoTime(t.time),
            credit: t.credit,
          })),
        },
      })),
      next_cursor:
        rows.length === limit && last ? encodeCursor({ eventTime: last.eventTime, id: last.id }) : null,
    };
  });

  app.get("/v1/reports/attribution", { schema: attributionReportSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to } = rangeParams(q);
    const model = enumParam(q, "model", MODELS, DEFAULT_MODEL);
    const groupBy = enumParam(q, "group_by", GROUP_BYS, "platform");
    const r = await deps.store.attributionReport(ws.id, {
      from,
      to,
      model,
      groupBy,
      currency: ws.currency,
      excludeFlagged: ws.quality.flaggedConversions === "exclude",
    });
    return {
      model,
      group_by: groupBy,
      currency: ws.currency,
      rows: r.rows,
      unattributed: r.unattributed,
      other_currencies: r.otherCurrencies,
    };
  });
}
