/**
 * CRM reconciliation (secret key): `POST /v1/crm/orders` (rows answered one by one, stored with
 * the adjustments they cause before the answer), `POST /v1/adjustments`, the reconciliation
 * report and its drill-down. Applied adjustments go on the bus after the answer (live feed,
 * forwarding wake-up).
 */
import type { FastifyInstance } from "fastify";
import type { AdjustmentMessage } from "../../bus.js";
import { HttpError } from "../../domain/errors.js";
import { DAY_MS, isoTime } from "../../domain/time.js";
import { RECONCILIATION_GROUPS, reconciliationReport } from "../../reconciliation/report.js";
import { validateAdjustment, validateOrder } from "../../reconciliation/validate-order.js";
import type {
  AdjustmentRecord,
  AdjustmentRequest,
  AdjustOutcome,
  CrmOrderRecord,
} from "../../storage/reconciliation-store.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, enumParam, intParam, query, rangeParams } from "../params.js";
import {
  postAdjustmentsSchema,
  postOrdersSchema,
  reconciliationOrdersSchema,
  reconciliationReportSchema,
} from "../schemas/reconciliation.js";
import { batchOf, ensureReady } from "./events.js";

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

type RowResult =
  | { index: number; status: "accepted" | "duplicate"; id: string; [k: string]: unknown }
  | {
      index: number;
      status: "rejected";
      error: { code: string; message: string; field?: string; status_code?: number };
    };

/** An adjustment as the API and the live feed show it: ids, values and times, no personal data. */
export function adjustmentJson(a: AdjustmentRecord) {
  return {
    id: a.id,
    conversion_id: a.conversionId,
    type: a.type,
    source: a.source,
    order_id: a.orderId,
    value: a.value,
    currency: a.currency,
    previous_value: a.previousValue,
    previous_currency: a.previousCurrency,
    adjusted_at: isoTime(a.adjustedAt),
    created_at: isoTime(a.createdAt),
  };
}

function announce(deps: AppDeps, outcomes: (AdjustOutcome | null)[]): void {
  const messages: AdjustmentMessage[] = [];
  for (const o of outcomes)
    if (o?.status === "applied")
      messages.push({
        type: "adjustment",
        workspaceId: o.adjustment.workspaceId,
        data: { ...adjustmentJson(o.adjustment), event_name: o.eventName, event_time: isoTime(o.eventTime) },
      });
  // After the answer: the live feed never delays the acknowledgement.
  if (messages.length > 0) setImmediate(() => messages.forEach((m) => deps.bus.publish(m)));
}

function reportRange(q: Record<string, string | undefined>): { from: number; to: number; eventName: string } {
  const r = rangeParams(q);
  const to = r.to ?? Date.now();
  const from = r.from ?? to - 30 * DAY_MS;
  const eventName = q.event_name || "Purchase";
  if (!EVENT_NAME.test(eventName))
    throw new HttpError("invalid_query", "`event_name` must be a conversion action's name.", {
      field: "event_name",
    });
  return { from, to, eventName };
}

export function reconciliationRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/crm/orders", { schema: postOrdersSchema(deps.config.maxBatch) }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const data = batchOf(bodyObject(req.body), "data", deps.config.maxBatch);
    ensureReady(deps);
    const now = Date.now();
    const ctx = { workspaceId: ws.id, currency: ws.currency, now };
    const results = new Array<RowResult>(data.length);
    const rows: CrmOrderRecord[] = [];
    const at: number[] = [];
    data.forEach((raw, index) => {
      const v = validateOrder(raw, ctx);
      if (v.ok) {
        rows.push(v.value);
        at.push(index);
        results[index] = { index, status: "accepted", id: v.value.orderId };
      } else
        results[index] = {
          index,
          status: "rejected",
          error: { code: v.code, message: v.message, ...(v.field ? { field: v.field } : {}) },
        };
    });
    if (rows.length > 0) {
      const outcomes = await deps.store.reconciliation.upsertOrders(rows, now);
      outcomes.forEach((o, i) => {
        if (o?.status === "applied")
          (results[at[i]!] as Record<string, unknown>).adjustment = {
            id: o.adjustment.id,
            type: o.adjustment.type,
            conversion_id: o.adjustment.conversionId,
          };
      });
      announce(deps, outcomes);
    }
    return {
      received: data.length,
      accepted: rows.length,
      duplicates: 0,
      rejected: data.length - rows.length,
      results,
    };
  });

  app.post("/v1/adjustments", { schema: postAdjustmentsSchema(deps.config.maxBatch) }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const data = batchOf(bodyObject(req.body), "data", deps.config.maxBatch);
    ensureReady(deps);
    const now = Date.now();
    const results = new Array<RowResult>(data.length);
    const requests: AdjustmentRequest[] = [];
    const at: number[] = [];
    data.forEach((raw, index) => {
      const v = validateAdjustment(raw, { workspaceId: ws.id, now });
      if (v.ok) {
        requests.push(v.value);
        at.push(index);
      } else
        results[index] = {
          index,
          status: "rejected",
          error: { code: v.code, message: v.message, ...(v.field ? { field: v.field } : {}) },
        };
    });
    const outcomes = requests.length > 0 ? await deps.store.reconciliation.adjust(requests, now) : [];
    outcomes.forEach((o, i) => {
      const index = at[i]!;
      const r = requests[i]!;
      switch (o.status) {
        case "applied":
          results[index] = {
            index,
            status: "accepted",
            id: o.adjustment.id,
            conversion_id: o.adjustment.conversionId,
            type: o.adjustment.type,
          };
          return;
        case "unchanged":
          results[index] = { index, status: "duplicate", id: o.conversionId, conversion_id: o.conversionId };
          return;
        case "not_found": {
          const field = r.conversionId !== null ? "conversion_id" : "order_id";
          results[index] = {
            index,
            status: "rejected",
            error: {
              code: "not_found",
              status_code: 404,
              field,
              message: `No conversion in this workspace has this ${field === "order_id" ? "order id" : "id"}.`,
            },
          };
          return;
        }
        case "invalid":
          results[index] = {
            index,
            status: "rejected",
            error: { code: "invalid_field", field: o.field, message: o.message },
          };
      }
    });
    announce(deps, outcomes);
    const count = (s: string) => results.filter((x) => x.status === s).length;
    return {
      received: data.length,
      accepted: count("accepted"),
      duplicates: count("duplicate"),
      rejected: count("rejected"),
      results,
    };
  });

  app.get("/v1/reports/reconciliation", { schema: reconciliationReportSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to, eventName } = reportRange(q);
    const groupBy = enumParam(q, "group_by", RECONCILIATION_GROUPS, "month");
    const sums = await deps.store.reconciliation.reconcile(ws.id, {
      from,
      to,
      eventName,
      byPlatform: groupBy === "platform",
    });
    return reconciliationReport(sums, { groupBy, timezone: ws.timezone, eventName, currency: ws.currency });
  });

  app.get("/v1/reports/reconciliation/orders", { schema: reconciliationOrdersSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to, eventName } = reportRange(q);
    const kind = enumParam(q, "kind", ["missing", "unconfirmed"] as const, "missing");
    const limit = intParam(q, "limit", 100, 1, 1000);
    const rows = await deps.store.reconciliation.drill(ws.id, { from, to, eventName, kind, limit });
    return {
      kind,
      data: rows.map((r) => ({
        order_id: r.orderId,
        conversion_id: r.conversionId,
        time: isoTime(r.time),
        value: r.value,
        currency: r.currency,
      })),
    };
  });
}
