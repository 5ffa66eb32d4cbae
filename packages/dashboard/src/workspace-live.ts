/**
 * Everything live about one workspace, kept while its view is open: the feed (last 200
 * conversions), this hour's figures (a `metrics` message every second), per-minute and
 * per-hour series for the charts (fetched, then advanced by each conversion), test events
 * and alerts. Messages are applied in per-frame batches; one render follows each batch.
 *
 * Two clocks, never mixed: the minute series and the tiles count by ARRIVAL at Tally (tracking
 * health: a broken tag shows at once), the week's hourly series by EVENT time (business: a
 * backfilled week spreads over its days instead of one spike at "now").
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { openLive, type LiveBatch, type LiveStatus } from "./live-connection.js";
import type { Alert, Conversion, EventTimeBucket, MetricsBucket, Signal, TestEvent } from "./types.js";

export const FEED_ROWS = 200;
export const TEST_EVENTS_KEPT = 500;
const ALERTS_KEPT = 50;
const MINUTE = 60_000;
const HOUR = 3_600_000;

export interface FeedRow extends Conversion {
  /** Flash the row on arrival: only for live rows arriving a few at a time (a flood would just blink). */
  highlight: boolean;
}

/** Above this many conversions in one frame, new rows arrive without the highlight. */
const HIGHLIGHT_MAX_BATCH = 12;

/** A test or rejected event with a key of its own (rejected events have no id). */
export interface LiveTestEvent extends TestEvent {
  seq: number;
}

export interface SeriesPoint {
  start: number;
  conversions: number;
  value: number;
}

export interface WorkspaceLive {
  status: LiveStatus;
  hour: MetricsBucket | null;
  rows: FeedRow[];
  testEvents: LiveTestEvent[];
  /** The latest state of each alert heard of (loaded firing ones, then live messages), newest first. */
  alerts: Alert[];
  /** Rules' signals heard on the live feed, newest first (an update replaces its id). */
  signals: Signal[];
  /** Last hour per minute, by arrival. */
  minutes: SeriesPoint[];
  /** Last 7 days per hour, by event time. */
  hours: SeriesPoint[];
  lastConversionAt: number | null;
  historyLoaded: boolean;
  testEventsLoaded: boolean;
}

function emptyLive(): WorkspaceLive {
  return {
    status: "connecting",
    hour: null,
    rows: [],
    testEvents: [],
    alerts: [],
    signals: [],
    minutes: [],
    hours: [],
    lastConversionAt: null,
    historyLoaded: false,
    testEventsLoaded: false,
  };
}

function seriesOf(buckets: (MetricsBucket | EventTimeBucket)[]): SeriesPoint[] {
  return buckets.map((b) => ({ start: Date.parse(b.start), conversions: b.conversions, value: b.value }));
}

/** Moves the value of the point covering `at` (an updated conversion); no point, no change. */
function revalue(series: SeriesPoint[], size: number, at: number, delta: number): SeriesPoint[] {
  const start = at - (at % size);
  if (delta === 0 || !series.some((x) => x.start === start)) return series;
  return series.map((x) => (x.start === start ? { ...x, value: x.value + delta } : x));
}

/** Adds a conversion to the point covering `at`, extending the series when time moved on. */
function advance(
  series: SeriesPoint[],
  size: number,
  keep: number,
  at: number,
  value: number,
): SeriesPoint[] {
  const start = at - (at % size);
  const last = series[series.length - 1];
  if (!last || start > last.start) {
    const out = series.slice();
    for (let s = last ? last.start + size : start; s <= start; s += size)
      out.push({ start: s, conversions: 0, value: 0 });
    series = out.slice(-keep);
  }
  const p = series.find((x) => x.start === start);
  if (p) {
    p.conversions += 1;
    p.value += value;
  }
  return series;
}

export function useWorkspaceLive(workspaceId: string, currency: string | null): WorkspaceLive {
  const state = useRef<WorkspaceLive>(emptyLive());
  const [, setVersion] = useState(0);
  const currencyRef = useRef(currency);
  currencyRef.current = currency;

  useEffect(() => {
    const s = (state.current = emptyLive());
    let alive = true;
    let seq = 0;
    const render = () => alive && setVersion((v) => v + 1);

    const loadSeries = async () => {
      const now = Date.now();
      const [m, h] = await Promise.all([
        api.get<{ buckets: MetricsBucket[] }>(
          `/v1/metrics?bucket=minute&from=${new Date(now - HOUR + MINUTE).toISOString()}`,
          workspaceId,
        ),
        api.get<{ buckets: EventTimeBucket[] }>(
          `/v1/metrics/event-time?bucket=hour&from=${new Date(now - 7 * 24 * HOUR + HOUR).toISOString()}`,
          workspaceId,
        ),
      ]);
      s.minutes = seriesOf(m.buckets);
      s.hours = seriesOf(h.buckets);
      render();
    };
    const loadHistory = async () => {
      const since = new Date(Date.now() - HOUR).toISOString();
      const res = await api.get<{ data: Conversion[]; next_cursor: string | null }>(
        `/v1/conversions?from=${since}&limit=1000`,
        workspaceId,
      );
      // Oldest first from the API; the feed shows newest first. Live rows that already
      // arrived win over the same ids from history.
      const seen = new Set(s.rows.map((r) => r.id));
      const older = res.data.filter((c) => !seen.has(c.id)).map((c) => ({ ...c, highlight: false }));
      older.sort((a, b) => Date.parse(b.received_at) - Date.parse(a.received_at));
      s.rows = [...s.rows, ...older].slice(0, FEED_ROWS);
      if (s.lastConversionAt === null && older[0]) s.lastConversionAt = Date.parse(older[0].received_at);
      s.historyLoaded = true;
      render();
    };
    const loadTestEvents = async () => {
      const res = await api.get<{ data: TestEvent[] }>("/v1/test-events", workspaceId);
      const keys = new Set(s.testEvents.map((e) => `${e.received_at}|${e.id ?? ""}|${e.event_name ?? ""}`));
      let back = 0;
      const older = res.data
        .filter((e) => !keys.has(`${e.received_at}|${e.id ?? ""}|${e.event_name ?? ""}`))
        .map((e) => ({ ...e, seq: --back }));
      s.testEvents = [...s.testEvents, ...older].slice(0, TEST_EVENTS_KEPT);
      s.testEventsLoaded = true;
      render();
    };
    const loadAlerts = async () => {
      const res = await api.get<{ data: Alert[] }>("/v1/alerts?status=firing", workspaceId);
      const heard = new Set(s.alerts.map((a) => a.id));
      s.alerts = [...s.alerts, ...res.data.filter((a) => !heard.has(a.id))].slice(0, ALERTS_KEPT);
      render();
    };
    const quietly = (p: Promise<void>) => p.catch(() => render());

    const onBatch = ({ messages }: LiveBatch) => {
      const fresh: FeedRow[] = [];
      const tests: LiveTestEvent[] = [];
      for (const m of messages) {
        switch (m.type) {
          case "conversion": {
            const c = m.data;
            const inCurrency = (v: number | null, cur: string | null) =>
              v !== null && (cur === null || cur === currencyRef.current) ? v : 0;
            const at = Date.parse(c.received_at);
            const happened = Date.parse(c.event_time);
            if (c.superseded) {
              // The server's copy replaced the browser's: the row and the value change, the count does not.
              const update = (r: FeedRow): FeedRow =>
                r.id === c.id ? { ...c, published_at: r.published_at, highlight: true } : r;
              const i = fresh.findIndex((r) => r.id === c.id);
              if (i >= 0) fresh[i] = update(fresh[i]!);
              else if (s.rows.some((r) => r.id === c.id)) s.rows = s.rows.map(update);
              const delta =
                inCurrency(c.value, c.currency) -
                inCurrency(c.previous?.value ?? null, c.previous?.currency ?? null);
              s.minutes = revalue(s.minutes, MINUTE, at, delta);
              s.hours = revalue(s.hours, HOUR, happened, delta);
              if (s.hour && at >= Date.parse(s.hour.start) && at < Date.parse(s.hour.start) + HOUR)
                s.hour = { ...s.hour, value: s.hour.value + delta };
              break;
            }
            fresh.push({ ...c, highlight: true });
            const value = inCurrency(c.value, c.currency);
            s.minutes = advance(s.minutes, MINUTE, 60, at, value);
            // The tiles move with the feed; the next `metrics` message (within a second) sets
            // the exact figures again.
            if (s.hour && at >= Date.parse(s.hour.start) && at < Date.parse(s.hour.start) + HOUR)
              s.hour = {
                ...s.hour,
                conversions: s.hour.conversions + 1,
                accepted: s.hour.accepted + 1,
                received: s.hour.received + 1,
                value: s.hour.value + value,
              };
            s.hours = advance(s.hours, HOUR, 7 * 24, happened, value);
            s.lastConversionAt = at;
            break;
          }
          case "metrics":
            s.hour = m.data;
            break;
          case "test_event":
            tests.push({ ...m.data, seq: ++seq });
            break;
          case "alert":
            s.alerts = [m.data, ...s.alerts.filter((a) => a.id !== m.data.id)].slice(0, ALERTS_KEPT);
            break;
          case "signal":
            s.signals = [m.data, ...s.signals.filter((x) => x.id !== m.data.id)].slice(0, 50);
            break;
        }
      }
      if (fresh.length > HIGHLIGHT_MAX_BATCH) for (const r of fresh) r.highlight = false;
      if (fresh.length) s.rows = [...fresh.reverse(), ...s.rows].slice(0, FEED_ROWS);
      if (tests.length) s.testEvents = [...tests.reverse(), ...s.testEvents].slice(0, TEST_EVENTS_KEPT);
      render();
    };
    const close = openLive(workspaceId, onBatch, (status) => {
      s.status = status;
      render();
    });

    void quietly(loadSeries());
    void quietly(loadHistory());
    void quietly(loadTestEvents());
    void quietly(loadAlerts());
    // The live increments are exact, but a missed message (reconnect) would stay missed:
    // re-read the series now and then.
    const refresh = window.setInterval(() => void quietly(loadSeries()), 60_000);
    return () => {
      alive = false;
      close();
      clearInterval(refresh);
    };
  }, [workspaceId]);

  return state.current;
}
