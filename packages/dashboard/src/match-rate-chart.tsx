/** The match rate (matched / CRM orders) per day as a line, drawn by uPlot like the other charts. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { percent } from "./format.js";

export interface RatePoint {
  /** Start of the day, unix ms. */
  start: number;
  /** null on a day without CRM orders (a gap in the line). */
  rate: number | null;
}

export function MatchRateChart({ points }: { points: RatePoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataOf = (ps: RatePoint[]): uPlot.AlignedData => [
    ps.map((p) => p.start / 1000),
    ps.map((p) => (p.rate === null ? null : Math.round(p.rate * 1000) / 10)),
  ];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axisFont = "12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 180,
      padding: [12, 8, 0, 4],
      legend: { show: false },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      scales: { x: { time: true }, pct: { range: [0, 100] } },
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
        {
          label: "Match rate",
          scale: "pct",
          stroke: "#0d9488",
          width: 2,
          spanGaps: true,
          points: { size: 5 },
        },
      ],
    };
    const u = new uPlot(opts, dataOf(points), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: 180 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(dataOf(points));
  }, [points]);

  const known = points.filter((p) => p.rate !== null);
  const last = known[known.length - 1];
  return (
    <figure class="card chart-card">
      <figcaption class="chart-head">
        <span class="chart-title">Match rate per day</span>
        <span class="chart-legend">
          <span class="key key-value" aria-hidden="true" /> latest {last ? percent(last.rate) : "—"}
        </span>
      </figcaption>
      <div ref={box} class="chart-box" role="img" aria-label="Match rate per day" />
    </figure>
  );
}
