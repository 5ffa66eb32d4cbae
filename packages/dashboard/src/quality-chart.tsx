/** Flagged share over time, one line per key (campaign, platform or ad), drawn by uPlot. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { QualitySeriesPoint } from "./types.js";

const COLORS = ["#dc2626", "#2563eb", "#0d9488", "#ca8a04", "#7c3aed", "#db2777"];
/** Lines drawn at most (the most flagged keys); the table lists them all. */
const MAX_LINES = 6;

/** Per key, the share of its clicks and conversions that were flagged in each bucket (null: none). */
export function shareSeries(points: QualitySeriesPoint[], keys: string[]): uPlot.AlignedData {
  const starts = [...new Set(points.map((p) => Date.parse(p.start)))].sort((a, b) => a - b);
  const at = new Map(starts.map((s, i) => [s, i]));
  const lines = keys.map(() => starts.map((): number | null => null));
  for (const p of points) {
    const k = keys.indexOf(p.key);
    if (k < 0) continue;
    const total = p.clicks + p.conversions;
    lines[k]![at.get(Date.parse(p.start))!] =
      total > 0 ? Math.round(((p.flagged_clicks + p.flagged_conversions) / total) * 1000) / 10 : null;
  }
  return [starts.map((s) => s / 1000), ...lines];
}

export function FlaggedShareChart({
  points,
  keys,
  from,
}: {
  points: QualitySeriesPoint[];
  keys: string[];
  /** Start of the period (ms): the x axis spans it to now, however few buckets have traffic. */
  from: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const shown = keys.slice(0, MAX_LINES);
  const id = shown.join("\u0000");

  useEffect(() => {
    const el = box.current;
    if (!el || shown.length === 0) return;
    const axisFont = "12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
    const u = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 200,
        padding: [12, 8, 0, 4],
        legend: { show: false },
        cursor: { points: { size: 6 }, drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: () => [from / 1000, Date.now() / 1000] },
          pct: { range: [0, 100] },
        },
        axes: [
          { stroke: "#6b7280", grid: { show: false }, ticks: { show: false }, font: axisFont },
          {
            scale: "pct",
            stroke: "#6b7280",
            grid: { stroke: "#eef0f4", width: 1 },
            ticks: { show: false },
            font: axisFont,
            size: 48,
            values: (_u, vals) => vals.map((v) => `${v}%`),
          },
        ],
        series: [
          {},
          ...shown.map((k, i) => ({
            label: k,
            scale: "pct",
            stroke: COLORS[i % COLORS.length]!,
            width: 2,
            spanGaps: true,
            points: { show: true, size: 4 },
          })),
        ],
      },
      shareSeries(points, shown),
      el,
    );
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: 200 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [points, id, from]);

  return (
    <figure class="card chart-card">
      <figcaption class="chart-head">
        <span class="chart-title">Flagged share over time</span>
        <span class="chart-legend">
          {shown.map((k, i) => (
            <span key={k} class="quality-key">
              <span class="key" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" /> {k}
            </span>
          ))}
        </span>
      </figcaption>
      {shown.length > 0 ? (
        <div
          ref={box}
          class="chart-box"
          role="img"
          data-lines={shown.length}
          aria-label={`Share of flagged clicks and conversions over time for ${shown.join(", ")}`}
        />
      ) : (
        <p class="muted small">No clicks or conversions in this period.</p>
      )}
    </figure>
  );
}
