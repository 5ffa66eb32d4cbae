/**
 * Every workspace ("ad account") at a glance: today's conversions and value and its tracking
 * health, advanced live by the overview subscription (`?workspace=*`) and re-read every 30 s.
 * "Today" is the UTC day, like the metrics buckets. Conversions, value and the sparkline count
 * by EVENT time (when people converted: a backfilled week is not "today"); the health badge
 * and "last conversion" by ARRIVAL (is tracking working right now?).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { ago, count, money } from "./format.js";
import { healthOf } from "./health.js";
import { openLive, type LiveStatus } from "./live-connection.js";
import { CreateWorkspace } from "./create-workspace.js";
import { HealthBadge, LiveBadge } from "./badges.js";
import { onLinkClick } from "./router.js";
import { Sparkline } from "./sparkline.js";
import type { EventTimeBucket, MetricsBucket, WorkspaceSummary } from "./types.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The end of the latest bucket with a conversion (the buckets count by arrival), at most now. */
function lastConversion(buckets: MetricsBucket[], size: number): number | null {
  for (let i = buckets.length - 1; i >= 0; i--) {
    const b = buckets[i]!;
    if (b.conversions > 0) return Math.min(Date.now(), Date.parse(b.start) + size - 1);
  }
  return null;
}

interface Card {
  ws: WorkspaceSummary;
  /** Today by arrival: the health badge. */
  today: MetricsBucket | null;
  /** Today by event time: the business figures. */
  sales: { start: number; conversions: number; value: number };
  hours: number[];
  lastConversionAt: number | null;
  pulse: number;
}

export function Overview() {
  const [cards, setCards] = useState<Card[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [creating, setCreating] = useState(false);
  const [, tick] = useState(0);
  const cardsRef = useRef<Card[]>([]);
  const reload = useRef<() => Promise<void>>(() => Promise.resolve());

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const list = (await api.get<{ data: WorkspaceSummary[] }>("/v1/workspaces")).data;
        const todayStart = new Date(Date.now() - (Date.now() % DAY)).toISOString();
        const next = await Promise.all(
          list.map(async (ws): Promise<Card> => {
            const [day, hour, minute, salesDay, salesHours] = await Promise.all([
              api.get<{ buckets: MetricsBucket[] }>(`/v1/metrics?bucket=day&from=${todayStart}`, ws.id),
              api.get<{ buckets: MetricsBucket[] }>("/v1/metrics?bucket=hour", ws.id),
              api.get<{ buckets: MetricsBucket[] }>("/v1/metrics?bucket=minute", ws.id),
              api.get<{ buckets: EventTimeBucket[] }>(
                `/v1/metrics/event-time?bucket=day&from=${todayStart}`,
                ws.id,
              ),
              api.get<{ buckets: EventTimeBucket[] }>("/v1/metrics/event-time?bucket=hour", ws.id),
            ]);
            const sd = salesDay.buckets.at(-1);
            const prev = cardsRef.current.find((c) => c.ws.id === ws.id);
            const last = Math.max(
              prev?.lastConversionAt ?? 0,
              lastConversion(minute.buckets, MINUTE) ?? lastConversion(hour.buckets, HOUR) ?? 0,
            );
            return {
              ws,
              today: day.buckets.at(-1) ?? null,
              sales: {
                start: sd ? Date.parse(sd.start) : Date.parse(todayStart),
                conversions: sd?.conversions ?? 0,
                value: sd?.value ?? 0,
              },
              hours: salesHours.buckets.map((b) => b.conversions),
              lastConversionAt: last || null,
              pulse: prev?.pulse ?? 0,
            };
          }),
        );
        if (!alive) return;
        cardsRef.current = next;
        setCards(next);
        setError(null);
      } catch (err) {
        if (alive) setError(err instanceof ApiError ? err.message : "Tally could not be reached.");
      }
    };
    reload.current = load;
    void load();
    const refresh = window.setInterval(() => void load(), 30_000);
    const clock = window.setInterval(() => tick((n) => n + 1), 5_000);
    const close = openLive(
      "*",
      ({ messages }) => {
        let changed = false;
        for (const m of messages) {
          if (m.type !== "conversion") continue;
          const card = cardsRef.current.find((c) => c.ws.id === m.data.workspace_id);
          if (!card) continue;
          changed = true;
          const at = Date.parse(m.data.received_at);
          const happened = Date.parse(m.data.event_time);
          const today = happened >= card.sales.start && happened < card.sales.start + DAY;
          const inCurrency = (v: number | null, cur: string | null) =>
            v !== null && (cur === null || cur === card.ws.currency) ? v : 0;
          if (m.data.superseded) {
            // An update of a conversion already counted: only today's value moves.
            if (today)
              card.sales = {
                ...card.sales,
                value:
                  card.sales.value +
                  inCurrency(m.data.value, m.data.currency) -
                  inCurrency(m.data.previous?.value ?? null, m.data.previous?.currency ?? null),
              };
            continue;
          }
          card.lastConversionAt = at;
          card.pulse++;
          if (card.today && at >= Date.parse(card.today.start))
            card.today = {
              ...card.today,
              conversions: card.today.conversions + 1,
              accepted: card.today.accepted + 1,
              received: card.today.received + 1,
            };
          if (today)
            card.sales = {
              ...card.sales,
              conversions: card.sales.conversions + 1,
              value: card.sales.value + inCurrency(m.data.value, m.data.currency),
            };
          // The sparkline's last hour, when the conversion happened in it.
          if (card.hours.length && happened >= Date.now() - (Date.now() % HOUR))
            card.hours = [...card.hours.slice(0, -1), card.hours[card.hours.length - 1]! + 1];
        }
        if (changed) setCards([...cardsRef.current]);
      },
      setStatus,
    );
    return () => {
      alive = false;
      clearInterval(refresh);
      clearInterval(clock);
      close();
    };
  }, []);

  return (
    <section class="page" aria-labelledby="overview-title">
      <div class="page-head">
        <div>
          <h1 id="overview-title">Workspaces</h1>
          <p class="muted">Today's conversions and tracking health for every ad account, live.</p>
        </div>
        <div class="page-actions">
          <LiveBadge status={status} />
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} disabled={creating}>
            New workspace
          </button>
        </div>
      </div>
      {creating && (
        <CreateWorkspace onClose={() => setCreating(false)} onCreated={() => void reload.current()} />
      )}
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {cards === null ? (
        <div class="grid cards-grid" aria-busy="true">
          {[0, 1, 2].map((i) => (
            <div key={i} class="card card-skeleton" />
          ))}
        </div>
      ) : cards.length === 0 ? (
        !creating && (
          <div class="empty">
            <h2>No workspaces yet</h2>
            <p>A workspace is one site or ad account: its own keys, conversion actions and reports.</p>
            <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
              Create your first workspace
            </button>
          </div>
        )
      ) : (
        <ul class="grid cards-grid" role="list">
          {cards.map((c) => (
            <WorkspaceCard key={c.ws.id} card={c} />
          ))}
        </ul>
      )}
    </section>
  );
}

function WorkspaceCard({ card }: { card: Card }) {
  const { ws, today, sales } = card;
  const health = healthOf(today);
  const href = `/w/${encodeURIComponent(ws.id)}/live`;
  return (
    <li class="card ws-card">
      <a class="card-link" href={href} onClick={onLinkClick} aria-label={`Open ${ws.name}`} />
      <div class="ws-card-head">
        <h2 class="ws-name">{ws.name}</h2>
        <HealthBadge health={health} />
      </div>
      <div class="ws-figures">
        <div>
          <div class="figure-label" title="Conversions that happened today (UTC), by event time">
            Conversions today
          </div>
          <div class="figure" key={card.pulse} data-pulse={card.pulse > 0 ? "" : undefined}>
            {count(sales.conversions)}
          </div>
        </div>
        <div>
          <div class="figure-label">Value today</div>
          <div class="figure figure-secondary">{money(sales.value, ws.currency ?? "USD")}</div>
        </div>
      </div>
      <div>
        <Sparkline values={card.hours} label={`Conversions per hour in ${ws.name}, last 24 hours`} />
        <div class="spark-caption muted">
          <span>24 h ago</span>
          <span>Conversions per hour, by event time</span>
          <span>now</span>
        </div>
      </div>
      <div class="ws-card-foot muted">
        <span>{health.summary}</span>
        <span class="nowrap">
          {card.lastConversionAt === null
            ? "No conversions in 24 h"
            : `Last conversion ${ago(card.lastConversionAt)}`}
        </span>
      </div>
    </li>
  );
}
