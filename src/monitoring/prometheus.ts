/** Process-level metrics for `/metrics` (Prometheus text; admin token). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface PromMetrics {
  registry: Registry;
  events: Counter<"status" | "source">;
  touches: Counter<"kind" | "status">;
  ingestSeconds: Histogram<"route">;
  liveSubscribers: Gauge;
  deliveries: Counter<"type" | "status">;
  identityLinksRefused: Counter;
}

export function createPromMetrics(): PromMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tally_" });
  return {
    registry,
    events: new Counter({
      name: "tally_events_total",
      help: "Events received, by outcome.",
      labelNames: ["status", "source"],
      registers: [registry],
    }),
    touches: new Counter({
      name: "tally_touches_total",
      help: "Clicks and impressions recorded.",
      labelNames: ["kind", "status"],
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: "tally_ingest_seconds",
      help: "Time from request parsed to durable acknowledgement.",
      labelNames: ["route"],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    liveSubscribers: new Gauge({
      name: "tally_live_subscribers",
      help: "Open live-feed connections.",
      registers: [registry],
    }),
    deliveries: new Counter({
      name: "tally_deliveries_total",
      help: "Destination delivery outcomes.",
      labelNames: ["type", "status"],
      registers: [registry],
    }),
    identityLinksRefused: new Counter({
      name: "tally_identity_links_refused_total",
      help: "Identifiers of accepted events that the identity merge limits kept apart (a second external_id, a person at 500 identifiers).",
      registers: [registry],
    }),
  };
}
