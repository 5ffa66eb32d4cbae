/** This hour's figures as tiles with big numbers, refreshed by the live `metrics` message. */
import type { ComponentChildren } from "preact";
import { count, money, moneyShort, ms, percent } from "./format.js";
import { ERROR_RATE_DEGRADED, ERROR_RATE_FAILING } from "./health.js";
import type { MetricsBucket } from "./types.js";

interface TileProps {
  label: string;
  value: ComponentChildren;
  sub: ComponentChildren;
  tone?: "good" | "warn" | "bad";
  /** The exact figure, when the tile shows a rounded one. */
  title?: string;
}

function Tile({ label, value, sub, tone, title }: TileProps) {
  return (
    <div class={`card tile${tone ? ` tile-${tone}` : ""}`}>
      <div class="tile-label">{label}</div>
      <div class="tile-value" title={title}>
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
  return (
    <div class="tiles" role="group" aria-label="This hour">
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
        label="Latency p50 / p95"
        value={ms(h?.latency_ms_p50)}
        title={`From the event's time to the live feed. Tally's own part (arrival to feed): p50 ${ms(h?.pipeline_ms_p50)}, p95 ${ms(h?.pipeline_ms_p95)}.`}
        sub={
          <>
            p95 <strong>{ms(h?.latency_ms_p95)}</strong> · Tally {ms(h?.pipeline_ms_p95)}
          </>
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
