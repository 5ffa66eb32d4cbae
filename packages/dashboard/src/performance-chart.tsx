/** Spend (bars) against attributed-or-not conversion value (line) per day, drawn by uPlot. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { money, moneyAxis } from "./format.js";

export interface DayPoint {
  /** Start of the day, unix ms. */
  start: number;
  spend: number;
  value: number;
}

export function SpendValueChart({ points, currency }: { points: DayPoint[]; currency: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataOf = (ps: DayPoint[]): uPlot.AlignedData => [
    ps.map((p) => p.start / 1000),
    ps.map((p) => Math.round(p.spend * 100) / 100),
    ps.map((p) => Math.round(p.value * 100) / 100),
  ];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axisFont = "12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 200,
      padding: [12, 8, 0, 4],
      legend: { show: false },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      scales: { x: { time: true }, money: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [
        { stroke: "#6b7280", grid: { show: false }, ticks: { show: false }, font: axisFont },
        {
          scale: "money",
          stroke: "#6b7280",
          grid: { stroke: "#eef0f4", width: 1 },
          ticks: { show: false },
          font: axisFont,
          size: 64,
          values: (_u, vals) => vals.map((v) => moneyAxis(v, currency)),
        },
      ],
      series: [
        {},
        {
          label: "Spend",
          scale: "money",
          fill: "rgba(234, 88, 12, 0.7)",
          stroke: "#ea580c",
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.6, 24], gap: 1 }),
          points: { show: false },
        },
        { label: "Value", scale: "money", stroke: "#0d9488", width: 2, points: { show: false } },
      ],
    };
    const u = new uPlot(opts, dataOf(points), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: 200 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is made once per currency; data changes go through setData below.
  }, [currency]);

  useEffect(() => {
    plot.current?.setData(dataOf(points));
  }, [points]);

  const spend = points.reduce((s, p) => s + p.spend, 0);
  const value = points.reduce((s, p) => s + p.value, 0);
  return (
    <figure class="card chart-card">
      <figcaption class="chart-head">
        <span class="chart-title">Spend and value per day</span>
        <span class="chart-legend">
          <span class="key key-spend" aria-hidden="true" /> {money(spend, currency)} spent
          <span class="key key-value" aria-hidden="true" /> {money(value, currency)} value
        </span>
      </figcaption>
      <div
        ref={box}
        class="chart-box"
        role="img"
        aria-label={`Spend ${money(spend, currency)} and value ${money(value, currency)} per day`}
      />
    </figure>
  );
}
