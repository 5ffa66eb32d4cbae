/**
 * This hour's figures as tiles with big numbers, refreshed by the live `metrics` message. They
 * count by arrival at Tally (tracking health). A figure never gets cut: the number shrinks to
 * fit its tile (`--chars` drives the font size in dashboard.css).
 */
import type { ComponentChildren } from "preact";
import { count, money, moneyShort, ms, percent } from "./format.js";
import { ERROR_RATE_DEGRADED, ERROR_RATE_FAILING } from "./health.js";
import type { MetricsBucket } from "./types.js";

/** Above this, "event → feed" is about when events were sent, not about Tally. */
const LATE_MS = 10 * 60_000;

interface TileProps {
  label: string;
  value: ComponentChildren;
  sub: ComponentChildren;
  tone?: "good" | "warn" | "bad";
  /** The exact figure, when the tile shows a rounded one. */
  title?: string;
}

function Tile({ label, value, sub, tone, title }: TileProps) {
  const chars = typeof value === "string" ? value.length : 6;
  return (
    <div class={`card tile${tone ? ` tile-${tone}` : ""}`}>
      <div class="tile-label">{label}</div>
      <div class="tile-value" title={title} style={{ "--chars": String(Math.max(6, chars)) }}>
        {value}
      </div>
      <div class="tile-sub">{sub}</div>
    </div>
  );
}

export function Tiles({ hour, currency }: { hour: MetricsBucket | null; currency: string }) {
  const h = hour;
  const err = h?.error_rate ?? null;
  const errTone =
    err === null
      ? undefined
      : err >= ERROR_RATE_FAILING
        ? "bad"
        : err >= ERROR_RATE_DEGRADED
          ? "warn"
          : "good";
  // Events sent long after they happened (a backfill, `tally simulate --days 7`, a server
  // catching up) make "event → feed" read hours: Tally's own part is the health figure.
  const late = (h?.latency_ms_p50 ?? 0) > LATE_MS;
  return (
    <div class="tiles" role="group" aria-label="This hour, by arrival at Tally">
      <Tile
        label="Conversions"
        value={count(h?.conversions ?? 0)}
        sub={`${count(h?.received ?? 0)} events received`}
      />
      <Tile
        label="Value"
        value={moneyShort(h?.value ?? 0, currency)}
        title={money(h?.value ?? 0, currency)}
        sub={`in ${currency}`}
      />
      <Tile
        label="Conversion rate"
        value={percent(h?.conversion_rate)}
        title={h?.conversion_rate != null ? `${h.conversion_rate * 100}%` : undefined}
        sub={`${count(h?.clicks ?? 0)} clicks`}
      />
      <Tile
        label="Feed latency p50"
        value={ms(h?.pipeline_ms_p50)}
        title={`Arrival at Tally to the live feed: p50 ${ms(h?.pipeline_ms_p50)}, p95 ${ms(h?.pipeline_ms_p95)}. From the event's own time to the feed: p50 ${ms(h?.latency_ms_p50)}, p95 ${ms(h?.latency_ms_p95)}.`}
        sub={
          late ? (
            <>
              events arrive <strong>{ms(h?.latency_ms_p50)}</strong> after they happen (backfill?)
            </>
          ) : (
            <>
              p95 <strong>{ms(h?.pipeline_ms_p95)}</strong> · from the event {ms(h?.latency_ms_p50)}
            </>
          )
        }
      />
      <Tile
        label="Dedup rate"
        value={percent(h?.dedup_rate)}
        sub={`${count(h?.duplicates ?? 0)} duplicates`}
      />
      <Tile
        label="Error rate"
        value={percent(err)}
        sub={`${count(h?.rejected ?? 0)} rejected`}
        tone={errTone}
      />
    </div>
  );
}
