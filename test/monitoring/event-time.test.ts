/**
 * Business trends by event time on both backends: a week sent at once (as `tally simulate
 * --days 7` does) spreads over the days it covers in `conversionsByEventTime`, while the
 * arrival rollups (tracking health) put it all in the hour it arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "../../src/bus.js";
import { DAY_MS, HOUR_MS } from "../../src/domain/time.js";
import { standardActions } from "../../src/domain/workspace.js";
import { LatencyRecorder } from "../../src/monitoring/latency-recorder.js";
import { createIngestPipeline } from "../../src/pipeline/ingest-pipeline.js";
import { LinkResolver } from "../../src/pipeline/link-resolver.js";
import { createCipher } from "../../src/security/cipher.js";
import { postgresAvailable } from "../postgres/pg-test-db.js";
import { pgBackend, sqliteBackend, workspace, type Backend } from "../helpers/stores.js";

const pgUp = await postgresAvailable("the PostgreSQL half of the event-time tests");
const backends: [string, () => Promise<Backend>, boolean][] = [
  ["sqlite", sqliteBackend, true],
  ["postgres", pgBackend, pgUp],
];

describe.each(backends)("conversions by event time on %s", (_name, make, up) => {
  let b: Backend;
  beforeAll(async () => {
    if (up) b = await make();
  });
  afterAll(async () => {
    if (up) await b.cleanup();
  });

  it.skipIf(!up)(
    "spreads a backfilled week over its days; value in the workspace currency only",
    async () => {
      const ws = await workspace(b.store);
      const now = Date.UTC(2026, 0, 12, 15, 30, 0);
      const pipeline = createIngestPipeline({
        store: b.store,
        bus: new Bus(),
        cipher: createCipher("ab".repeat(32)),
        latency: new LatencyRecorder(),
        links: new LinkResolver(b.store),
        limits: { maxEventAgeDays: 7, maxFutureMinutes: 10, ipRetentionDays: 0 },
        now: () => now,
      });
      // Two conversions a day for the six days before today, one today, one in another currency,
      // and a PageView (not a conversion).
      const events = [];
      for (let d = 6; d >= 1; d--)
        for (const v of [10, 5.5])
          events.push({
            event_name: "Purchase",
            event_time: Math.floor((now - d * DAY_MS) / 1000),
            event_id: `p-${d}-${v}`,
            custom_data: { value: v, currency: "USD" },
          });
      events.push(
        {
          event_name: "Purchase",
          event_time: Math.floor(now / 1000) - 60,
          event_id: "today",
          custom_data: { value: 10999.33, currency: "USD" },
        },
        {
          event_name: "Purchase",
          event_time: Math.floor(now / 1000) - 120,
          event_id: "euro",
          custom_data: { value: 7, currency: "EUR" },
        },
        { event_name: "PageView", event_time: Math.floor(now / 1000) - 60, event_id: "pv" },
      );
      const r = await pipeline.ingest({
        workspace: ws,
        actions: new Map(standardActions().map((a) => [a.name, a])),
        source: "server",
        testEventCode: null,
        requestIp: null,
        requestUserAgent: null,
        events,
      });
      expect(r.accepted).toBe(events.length);

      const from = now - (now % DAY_MS) - 6 * DAY_MS;
      const days = await b.store.monitoring.conversionsByEventTime(ws.id, ws.currency, from, now + 1, DAY_MS);
      expect(days).toEqual([
        ...[6, 5, 4, 3, 2, 1].map((d) => ({
          start: now - (now % DAY_MS) - d * DAY_MS,
          conversions: 2,
          value: 15.5,
        })),
        { start: now - (now % DAY_MS), conversions: 2, value: 10999.33 },
      ]);
      const hour = await b.store.monitoring.conversionsByEventTime(
        ws.id,
        ws.currency,
        now - HOUR_MS,
        now + 1,
        HOUR_MS,
      );
      expect(hour).toEqual([{ start: now - (now % HOUR_MS), conversions: 2, value: 10999.33 }]);
      // By arrival (tracking health), the whole week is in this hour.
      const arrival = await b.store.metrics(ws.id, now - (now % HOUR_MS), now + 1, "hour");
      expect(arrival[0]!.conversions).toBe(14);
    },
  );
});
