/**
 * The series an alert fired on (`GET /v1/alerts/{id}/series`), drawn by uPlot: the series the
 * alert is about in red, its context (the peers that kept their pace, the totals) in grey and
 * teal, the baseline's expectation dashed, and the stretch the alert was firing shaded. For a
 * `tracking_broken` drop the picture is the diagnosis: one line falls, the others go on.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { api, ApiError } from "./api.js";
import { count } from "./format.js";
import type { Alert, AlertSeries } from "./types.js";

const FIRED = "#dc2626";
const CONTEXT = ["#0d9488", "#6b7280", "#4f46e5", "#a16207"];

export function AlertChart({ alert, workspaceId }: { alert: Alert; workspaceId: string }) {
  const [data, setData] = useState<AlertSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);

  // Read again when the alert resolves, so the chart shows the recovery.
  useEffect(() => {
    api
      .get<AlertSeries>(`/v1/alerts/${encodeURIComponent(alert.id)}/series`, workspaceId)
      .then(setData, (err) =>
        setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
      );
  }, [alert.id, alert.status, workspaceId]);

  useEffect(() => {
    const el = box.current;
    if (!el || !data || data.series.length === 0) return;
    const xs = data.starts.map((s) => Date.parse(s) / 1000);
    const started = Date.parse(alert.started_at) / 1000;
    const ended = alert.resolved_at ? Date.parse(alert.resolved_at) / 1000 : (xs[xs.length - 1] ?? started);
    const expected = data.expected_per_step;
    let context = 0;
    const series: uPlot.Series[] = [
      {},
      ...data.series.map((s) => ({
        label: s.label,
        stroke: s.fired ? FIRED : CONTEXT[context++ % CONTEXT.length]!,
        width: s.fired ? 2.5 : 1.5,
        points: { show: false },
      })),
    ];
    const columns: number[][] = data.series.map((s) => s.counts);
    if (expected !== null) {
      series.push({
        label: "expected",
        stroke: "#9ca3af",
        width: 1.5,
        dash: [6, 4],
        points: { show: false },
      });
      columns.push(xs.map(() => expected));
    }
    const axisFont = "12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
    const u = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 180,
        padding: [10, 8, 0, 4],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.15)] } },
        axes: [
          { stroke: "#6b7280", grid: { show: false }, ticks: { show: false }, font: axisFont },
          {
            stroke: "#6b7280",
            grid: { stroke: "#eef0f4", width: 1 },
            ticks: { show: false },
            font: axisFont,
            size: 44,
            values: (_u, vals) => vals.map((v) => count(v)),
          },
        ],
        series,
        hooks: {
          drawClear: [
            (p) => {
              // The firing stretch, shaded under the lines.
              const x0 = p.valToPos(started, "x", true);
              const x1 = p.valToPos(ended, "x", true);
              const { top, height } = p.bbox;
              p.ctx.save();
              p.ctx.fillStyle =
                alert.status === "firing" ? "rgba(220, 38, 38, 0.08)" : "rgba(107, 114, 128, 0.08)";
              p.ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
              p.ctx.restore();
            },
          ],
        },
      },
      [xs, ...columns],
      el,
    );
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: 180 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [data, alert.started_at, alert.resolved_at, alert.status]);

  if (error) return <p class="muted small">{error}</p>;
  if (!data)
    return (
      <div class="loading" aria-busy="true">
        Loading the series…
      </div>
    );
  if (data.series.length === 0)
    return <p class="muted small">No series to draw for this kind: its figures are in the details above.</p>;
  const total = (i: number) => data.series[i]!.counts.reduce((a, x) => a + x, 0);
  const summary = data.series.map((s, i) => `${s.label} ${count(total(i))}`).join(", ");
  return (
    <figure class="alert-chart" data-series={data.series.map((s) => s.key).join(" ")}>
      <figcaption class="chart-legend small">
        {data.series.map((s, i) => (
          <span key={s.key} class={s.fired ? "legend-fired" : "legend-context"}>
            <span class={`key ${s.fired ? "key-fired" : "key-context"}`} aria-hidden="true" /> {s.label}
            {s.fired ? " (fired)" : ""} · {count(total(i))}
          </span>
        ))}
        {data.expected_per_step !== null && (
          <span class="muted">
            <span class="key key-expected" aria-hidden="true" /> expected {data.expected_per_step} per{" "}
            {data.step_seconds} s
          </span>
        )}
      </figcaption>
      <div
        ref={box}
        class="chart-box"
        role="img"
        aria-label={`Events per ${data.step_seconds} s around the alert: ${summary}`}
      />
    </figure>
  );
}
