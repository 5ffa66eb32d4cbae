/**
 * The destination endpoints (secret key): create, list, read, delete, the delivery log,
 * replay of dead deliveries, and per-destination figures. Secrets are sealed with the
 * Cipher before they reach the store and are never part of an answer or a log line.
 * Every URL of a config passes the endpoint policy before it is stored (a secret key must
 * not turn Tally into a client of the internal network), and a workspace has at most
 * MAX_DESTINATIONS destinations.
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import { newId } from "../../domain/ids.js";
import { DAY_MS, isoTime } from "../../domain/time.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, intParam, invalid, query, stringField, timeParam } from "../params.js";
import type { DeliveryRow, DeliveryStatus, DestinationRecord } from "../../storage/storage.js";
import {
  DESTINATION_TYPES,
  eventMaps,
  isDestinationType,
  mappedEvents,
  parseConfig,
  publicConfig,
  urlFields,
  type DestinationConfig,
} from "../../destinations/config-schema.js";
import type { EndpointPolicy } from "../../destinations/endpoint-policy.js";
import { destinationStats } from "../../destinations/stats.js";
import { routeEventsOf } from "../../destinations/routing-table.js";
import { destinationSchemas as s } from "../schemas/destinations.js";

const ID = /^dst_[0-9a-z]{26}$/;
const STATUSES: readonly DeliveryStatus[] = ["pending", "delivered", "failed", "dead", "skipped"];
/** API.md: a workspace has at most 50 destinations. */
export const MAX_DESTINATIONS = 50;

export function destinationJson(r: DestinationRecord, config: DestinationConfig | null) {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    events: r.events,
    config: config ? publicConfig(config) : null,
    created_at: isoTime(r.createdAt),
  };
}

export function deliveryJson(d: DeliveryRow) {
  return {
    id: d.id,
    event_id: d.eventId,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    delivered_at: d.deliveredAt === null ? null : isoTime(d.deliveredAt),
  };
}

function eventsField(b: Record<string, unknown>, actions: ReadonlySet<string>): string[] | null {
  const v = b.events;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length === 0 || v.length > 200 || !v.every((n) => typeof n === "string"))
    throw invalid("events", "`events` must be a non-empty list of conversion action names.");
  const names = [...new Set(v)];
  const unknown = names.find((n) => !actions.has(n));
  if (unknown !== undefined)
    throw invalid(
      "events",
      `"${unknown.slice(0, 64)}" is not a conversion action of this workspace; actions are ${[...actions].join(", ")}.`,
    );
  return names;
}

/** Refuses the first URL of the config that the policy does not allow, naming its field. */
async function checkUrls(config: DestinationConfig, policy: EndpointPolicy): Promise<void> {
  for (const [key, url] of urlFields(config)) {
    const verdict = await policy.check(url);
    if (!verdict.ok)
      throw new HttpError("endpoint_not_allowed", `\`config.${key}\` ${verdict.reason}`, {
        field: `config.${key}`,
      });
  }
}

export function destinationRoutes(app: FastifyInstance, deps: AppDeps): void {
  const registry = deps.destinations;
  if (!registry) return; // no forwarding in this process
  async function owned(workspaceId: string, id: string): Promise<DestinationRecord> {
    const d = ID.test(id) ? await deps.store.getDestination(workspaceId, id) : null;
    if (!d) throw new HttpError("not_found", "No destination with this id in this workspace.");
    return d;
  }

  app.post("/v1/destinations", { schema: s.create }, async (req, reply) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    for (const k of Object.keys(b))
      if (!["type", "name", "events", "config"].includes(k))
        throw invalid(k, `\`${k}\` is not a destination field; fields are type, name, events, config.`);
    const type = b.type;
    if (!isDestinationType(type))
      throw invalid("type", `\`type\` must be one of ${DESTINATION_TYPES.join(", ")}.`);
    const name = stringField(b, "name", { max: 200 }) || type;
    const actions = new Set((await deps.directory.actionsOf(ws.id)).keys());
    const events = eventsField(b, actions);
    const parsed = parseConfig(type, b.config);
    if (!parsed.ok) throw invalid(parsed.field, parsed.message);
    const config = parsed.config;
    for (const [field, map] of eventMaps(config)) {
      const stray = Object.keys(map).find((n) => !actions.has(n));
      if (stray !== undefined)
        throw invalid(
          `config.${field}`,
          `\`config.${field}\` maps "${stray}", which is not a conversion action of this workspace.`,
        );
    }
    const mapped = mappedEvents(config);
    const field = config.type === "google_ads" ? "config.conversion_actions" : "config.conversions";
    if (mapped && events) {
      const missing = events.find((n) => !mapped.includes(n));
      if (missing !== undefined)
        throw invalid(field, `\`events\` lists ${missing}, which has no entry in \`${field}\`.`);
    }
    await checkUrls(config, registry.policy);
    const record = await deps.store.createDestinationWithinLimit(
      {
        id: newId("dst"),
        workspaceId: ws.id,
        type,
        name,
        events,
        configEnc: deps.cipher.encrypt(JSON.stringify(config)),
        createdAt: Date.now(),
        routeEvents: routeEventsOf(events, config),
      },
      MAX_DESTINATIONS,
    );
    if (record === null)
      throw new HttpError(
        "limit_reached",
        `This workspace has ${MAX_DESTINATIONS} destinations, the most it may have; delete one before creating another.`,
        { limit: MAX_DESTINATIONS },
      );
    registry.added(record, config);
    deps.onDestinationsChanged?.(ws.id);
    return reply.code(201).send(destinationJson(record, config));
  });

  app.get("/v1/destinations", { schema: s.list }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const list = await deps.store.listDestinations(ws.id);
    return { data: list.map((r) => destinationJson(r, registry.configOf(r))) };
  });

  // Registered before /:id on purpose only for readability: Fastify matches static paths first.
  app.get("/v1/destinations/stats", { schema: s.stats }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const now = Date.now();
    const from = timeParam(q, "from") ?? now - DAY_MS;
    const [list, rows, extras] = await Promise.all([
      deps.store.listDestinations(ws.id),
      deps.store.deliveryStats(ws.id, from),
      deps.store.monitoring.destinationExtras(ws.id, from),
    ]);
    return { from: isoTime(from), data: destinationStats(list, rows, extras) };
  });

  app.get<{ Params: { id: string } }>("/v1/destinations/:id", { schema: s.get }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const r = await owned(ws.id, req.params.id);
    return destinationJson(r, registry.configOf(r));
  });

  app.delete<{ Params: { id: string } }>("/v1/destinations/:id", { schema: s.delete }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const id = req.params.id;
    const gone = ID.test(id) ? await deps.store.deleteDestination(ws.id, id) : false;
    if (!gone) throw new HttpError("not_found", "No destination with this id in this workspace.");
    registry.removed(id);
    deps.onDestinationsChanged?.(ws.id);
    return { id, deleted: true };
  });

  app.get<{ Params: { id: string } }>("/v1/destinations/:id/deliveries", { schema: s.log }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const d = await owned(ws.id, req.params.id);
    const q = query(req.query);
    const raw = q.status;
    if (raw !== undefined && raw !== "" && !(STATUSES as readonly string[]).includes(raw))
      throw new HttpError("invalid_query", `\`status\` must be one of ${STATUSES.join(", ")}.`, {
        field: "status",
      });
    const status = raw === undefined || raw === "" ? null : (raw as DeliveryStatus);
    const limit = intParam(q, "limit", 100, 1, 1000);
    const rows = await deps.store.listDeliveries(ws.id, d.id, status, limit);
    return { data: rows.map(deliveryJson) };
  });

  app.post<{ Params: { id: string } }>("/v1/destinations/:id/replay", { schema: s.replay }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const d = await owned(ws.id, req.params.id);
    const replayed = await deps.store.replayDead(ws.id, d.id, Date.now());
    if (replayed > 0) registry.wake(d.id);
    return { replayed };
  });
}
