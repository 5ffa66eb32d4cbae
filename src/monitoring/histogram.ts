/**
 * Latency histograms small enough to keep per workspace and minute in the rollups: counts over
 * fixed millisecond bounds, mergeable by addition, so an hour or a month is a sum of minutes.
 * Percentiles are read as the upper bound of the bucket that holds them (within ~25-50%).
 */
export const BOUNDS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500,
  10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000,
] as const;

export function emptyHistogram(): number[] {
  return new Array<number>(BOUNDS_MS.length + 1).fill(0);
}

export function bucketIndex(ms: number): number {
  for (let i = 0; i < BOUNDS_MS.length; i++) if (ms <= BOUNDS_MS[i]!) return i;
  return BOUNDS_MS.length;
}

export function record(h: number[], ms: number): void {
  const i = bucketIndex(Math.max(0, ms));
  h[i] = (h[i] ?? 0) + 1;
}

export function mergeHistograms(a: readonly number[], b: readonly number[]): number[] {
  const out = emptyHistogram();
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return out;
}

/** The p-quantile (0 < p ≤ 1) in ms, or null for an empty histogram. */
export function percentile(h: readonly number[], p: number): number | null {
  let total = 0;
  for (const c of h) total += c;
  if (total === 0) return null;
  const target = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i] ?? 0;
    if (seen >= target) return i < BOUNDS_MS.length ? BOUNDS_MS[i]! : BOUNDS_MS[BOUNDS_MS.length - 1]!;
  }
  return null;
}
