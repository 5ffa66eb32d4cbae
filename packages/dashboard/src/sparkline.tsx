/** A tiny inline-SVG bar chart (no uPlot needed for 24 bars). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const w = 240;
  const h = 36;
  const bw = values.length ? w / values.length : w;
  return (
    <svg class="sparkline" viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={label}>
      {values.map((v, i) => {
        const bh = v === 0 ? 1.5 : Math.max(3, (v / max) * (h - 2));
        return (
          <rect
            key={i}
            x={i * bw + 1}
            y={h - bh}
            width={Math.max(1, bw - 2)}
            height={bh}
            rx={1.5}
            class={v === 0 ? "spark-zero" : "spark-bar"}
          />
        );
      })}
    </svg>
  );
}
