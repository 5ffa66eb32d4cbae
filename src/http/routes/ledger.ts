/**
 * `GET /v1/conversions/{id}`: the conversion ledger — "did Meta get this order, and why not?"
 * in one answer: every arrival (browser, server, pixel) with its status, the identity kinds
 * it was linked by (never the values), its match quality at acceptance, attribution, and each
 * destination's attempts, status codes and latency. `quality` and `adjustments` are the seams
 * for traffic quality (filled: `{score, flags}` as decided on arrival) and CRM reconciliation
 * (filled: the conversion's retractions and restatements, oldest first).
 */
import type { FastifyInstance } from "fastify";
import { DEFAULT_MODEL, MODELS } from "../../attribution/index.js";
import { HttpError } from "../../domain/errors.js";
import { isoTime } from "../../domain/time.js";
import type { LedgerRecord } from "../../storage/monitoring-store.js";
import type { AppDeps } from "../deps.js";
import { enumParam, query } from "../params.js";
import { ledgerSchema } from "../schemas/ledger.js";
import { adjustmentJson } from "./reconciliation.js";

const ID = /^evt_[0-9a-z]{26}$/;

/** The ledger's arrivals: the stored copy first, then every later copy. */
export function arrivalsOf(l: LedgerRecord) {
  const first = {
    source: l.source ?? "server",
    received_at: isoTime(l.receivedAt),
    event_id: l.eventId,
    status: l.supersededAt !== null ? "superseded" : "accepted",
  };
  return [
    first,
    ...l.arrivals.map((a) => ({
      source: a.source,
      received_at: isoTime(a.receivedAt),
      event_id: a.eventId,
      status: a.status === "superseding" ? "accepted" : "duplicate",
    })),
  ];
}

export function ledgerRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Params: { id: string } }>("/v1/conversions/:id", { schema: ledgerSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const model = enumParam(query(req.query), "model", MODELS, DEFAULT_MODEL);
    const id = req.params.id;
    const l = ID.test(id) ? await deps.store.monitoring.conversionLedger(ws.id, id) : null;
    if (!l)
      throw new HttpError("not_found", "No conversion with this id in this workspace.", { field: "id" });
    return {
      id: l.id,
      event_name: l.eventName,
      event_time: isoTime(l.eventTime),
      received_at: isoTime(l.receivedAt),
      value: l.value,
      currency: l.currency,
      event_id: l.eventId,
      order_id: l.orderId,
      test_event_code: l.testEventCode,
      arrivals: arrivalsOf(l),
      match_quality: l.matchQuality,
      quality: l.quality,
      identity: { identifiers: l.identifiers, kinds: l.identifierKinds },
      attribution: {
        model,
        touches: l.credits[model].map((t) => ({
          platform: t.platform,
          campaign: t.campaign,
          ad: t.ad,
          time: isoTime(t.time),
          credit: t.credit,
        })),
      },
      adjustments: (await deps.store.adjustmentsOf(ws.id, l.id)).map(adjustmentJson),
      deliveries: l.deliveries.map((d) => ({
        destination_id: d.destinationId,
        type: d.type,
        status: d.status,
        attempts: d.attempts,
        last_status_code: d.lastStatusCode,
        last_error: d.lastError,
        // Tally keeps no separate time of the first attempt: a delivered row was sent when accepted.
        sent_at: d.deliveredAt === null ? null : isoTime(d.deliveredAt),
        delivered_at: d.deliveredAt === null ? null : isoTime(d.deliveredAt),
        latency_ms: d.deliveredAt === null ? null : d.deliveredAt - l.receivedAt,
      })),
    };
  });
}
