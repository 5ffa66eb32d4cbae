// Small statistics and formatting helpers shared by the benchmarks.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** The q-quantile (0–1) of a list, nearest rank. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** The run whose requests/s is the median of the runs (its latencies go with it). */
export function medianRun(runs) {
  const s = [...runs].sort((a, b) => a.rps - b.rps);
  return s[Math.floor((s.length - 1) / 2)];
}

export const fmt = {
  int: (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US")),
  ms: (n) =>
    n === null || n === undefined
      ? "–"
      : n < 1
        ? `${(n * 1000).toFixed(0)} µs`
        : `${n.toFixed(n < 10 ? 2 : 1)} ms`,
  pct: (n) => (n === null || n === undefined ? "–" : `${(n * 100).toFixed(0)}%`),
  mb: (n) => (n === null || n === undefined ? "–" : `${n.toFixed(0)} MB`),
};

/** A plain table: rows of cells, the first row the header. */
export function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("   "))
    .join("\n");
}

/** A verdict against a target: "ok" or "MISSED". */
export const verdict = (ok) => (ok ? "ok" : "MISSED");
