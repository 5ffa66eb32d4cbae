/**
 * Conversions (bars) and value (line, right axis) over time, drawn by uPlot. The chart is
 * created once and fed new data at most four times a second, however often the series moves.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { count, money, moneyAxis } from "./format.js";
import type { SeriesPoint } from "./workspace-live.js";

const THROTTLE_MS = 250;

export function ConversionsChart({
  title,
  points,
  currency,
  bucketLabel,
  clock,
}: {
  title: string;
  points: SeriesPoint[];
  currency: string;
  bucketLabel: string;
  /** Which time the points count by: arrival at Tally (tracking health) or the event's (business). */
  clock: "arrival" | "event";
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(points);
  const pending = useRef(0);
  latest.current = points;

  const dataOf = (ps: SeriesPoint[]): uPlot.AlignedData => [
    ps.map((p) => p.start / 1000),
    ps.map((p) => p.conversions),
    ps.map((p) => Math.round(p.value * 100) / 100),
  ];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth);
    const accent = "#4f46e5";
    const valueColor = "#0d9488";
    const grid = { stroke: "#eef0f4", width: 1 };
    const axisFont = "12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
    const opts: uPlot.Options = {
      width,
      height: 200,
      padding: [12, 8, 0, 4],
      legend: { show: false },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        conv: { range: (_u, _min, max) => [0, Math.max(4, max * 1.15)] },
        value: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
      },
      axes: [
        { stroke: "#6b7280", grid: { show: false }, ticks: { show: false }, font: axisFont },
        {
          scale: "conv",
          stroke: "#6b7280",
          grid,
          ticks: { show: false },
          font: axisFont,
          size: 44,
          values: (_u, vals) => vals.map((v) => count(v)),
        },
        {
          scale: "value",
          side: 1,
          stroke: "#6b7280",
          grid: { show: false },
          ticks: { show: false },
          font: axisFont,
          size: 64,
          values: (_u, vals) => vals.map((v) => moneyAxis(v, currency)),
        },
      ],
      series: [
        {},
        {
          label: "Conversions",
          scale: "conv",
          fill: "rgba(79, 70, 229, 0.78)",
          stroke: accent,
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.7, 18], gap: 1 }),
          points: { show: false },
        },
        { label: "Value", scale: "value", stroke: valueColor, width: 2, points: { show: false } },
      ],
    };
    const u = new uPlot(opts, dataOf(latest.current), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: 200 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      clearTimeout(pending.current);
      u.destroy();
      plot.current = null;
    };
  }, [currency]);

  useEffect(() => {
    if (pending.current) return;
    pending.current = window.setTimeout(() => {
      pending.current = 0;
      plot.current?.setData(dataOf(latest.current));
    }, THROTTLE_MS);
  });

  const total = points.reduce((s, p) => s + p.conversions, 0);
  const value = points.reduce((s, p) => s + p.value, 0);
  return (
    <figure
      class="card chart-card"
      data-clock={clock}
      data-nonzero={points.filter((p) => p.conversions > 0).length}
    >
      <figcaption class="chart-head">
        <span class="chart-title">{title}</span>
        <span class="chart-legend">
          <span class="key key-conv" aria-hidden="true" /> {count(total)} conversions
          <span class="key key-value" aria-hidden="true" /> {money(value, currency)}
          <span class="muted"> · {bucketLabel}</span>
        </span>
      </figcaption>
      <div
        ref={box}
        class="chart-box"
        role="img"
        aria-label={`${title} (${bucketLabel}): ${count(total)} conversions, ${money(value, currency)}`}
      />
    </figure>
  );
}
