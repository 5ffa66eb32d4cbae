/**
 * Poisson tails for the volume detectors, from @stdlib's CDF (a maintained implementation of
 * the regularized incomplete gamma function: exact enough in both tails for these counts).
 */
import betainc from "@stdlib/math-base-special-betainc";
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

/**
 * Tails of a count whose mean is itself an estimate: Poisson(λ) with λ ~ Gamma(shape, mean /
 * shape), i.e. negative binomial with that mean and variance mean + mean² / shape (regularized
 * incomplete beta from @stdlib). An infinite shape is the plain Poisson.
 * P(X ≤ k) = I_p(shape, k + 1) and P(X ≥ k) = I_(1−p)(k, shape), with p = shape / (shape + mean).
 */
export function lowerTailMixed(k: number, mean: number, shape: number): number {
  if (!Number.isFinite(shape)) return lowerTail(k, mean);
  if (mean <= 0) return 1;
  return betainc(shape / (shape + mean), shape, k + 1);
}

export function upperTailMixed(k: number, mean: number, shape: number): number {
  if (!Number.isFinite(shape)) return upperTail(k, mean);
  if (k <= 0) return 1;
  if (mean <= 0) return 0;
  return betainc(mean / (shape + mean), k, shape);
}
