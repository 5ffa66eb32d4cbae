/**
 * Poisson tails for the volume detectors, from @stdlib's CDF (a maintained implementation of
 * the regularized incomplete gamma function: exact enough in both tails for these counts).
 */
import cdf from "@stdlib/stats-base-dists-poisson-cdf";

/** P(X ≤ k) for X ~ Poisson(mean). */
export function lowerTail(k: number, mean: number): number {
  if (mean <= 0) return 1;
  return cdf(k, mean);
}

/** P(X ≥ k) for X ~ Poisson(mean). */
export function upperTail(k: number, mean: number): number {
  if (k <= 0) return 1;
  if (mean <= 0) return 0;
  return Math.max(0, 1 - cdf(k - 1, mean));
}
