/**
 * The statistics of an A/B report, each a small function of counts (no I/O, no state).
 *
 * Distribution functions come from stdlib (`@stdlib/*`: the normal and Student's t CDFs, the
 * regularized incomplete gamma function, log-beta), a numerical library whose functions are
 * tested against reference implementations; what is written here is the formulas on top of
 * them, each checked in `stats.test.ts` against SciPy's outputs written into the test as facts.
 *
 * @example
 * twoProportionTest(100, 1000, 130, 1000); // { z: 2.0733…, pValue: 0.03815… }
 */
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import gammainc from "@stdlib/math-base-special-gammainc";
import betaln from "@stdlib/math-base-special-betaln";

/** The 0.975 quantile of the standard normal distribution (a 95% two-sided interval). */
export const Z_975 = 1.959963984540054;

/** Φ(x): the standard normal CDF. */
function phi(x: number): number {
  return normalCdf(x, 0, 1);
}

export interface ZTest {
  /** (rate B − rate A) over the pooled standard error. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * The two-sided two-proportion z-test with a pooled proportion, B against A (`prop.test`
 * without continuity correction; `statsmodels.proportions_ztest`). Null when either arm has no
 * visitors, or when nobody (or everybody) converted in both arms: there is nothing to test.
 */
export function twoProportionTest(xA: number, nA: number, xB: number, nB: number): ZTest | null {
  if (nA <= 0 || nB <= 0) return null;
  const pooled = (xA + xB) / (nA + nB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  if (!(se > 0)) return null;
  const z = (xB / nB - xA / nA) / se;
  // 2·Φ(−|z|) rather than 2·(1 − Φ(|z|)): no cancellation for large |z|.
  return { z, pValue: Math.min(1, 2 * phi(-Math.abs(z))) };
}

/**
 * The 95% Wald interval of rate B − rate A with unpooled variances. Null when either arm has
 * no visitors.
 */
export function differenceInterval(
  xA: number,
  nA: number,
  xB: number,
  nB: number,
  z = Z_975,
): [number, number] | null {
  if (nA <= 0 || nB <= 0) return null;
  const pA = xA / nA;
  const pB = xB / nB;
  const se = Math.sqrt((pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB);
  const d = pB - pA;
  return [d - z * se, d + z * se];
}

/**
 * P(θB > θA) for θA ~ Beta(aA, bA) and θB ~ Beta(aB, bB), exactly (Evan Miller's closed
 * form, a sum of `aB` terms — we sum over the arm with fewer successes, using
 * P(θB > θA) = 1 − P(θA > θB)). Above {@link EXACT_LIMIT} terms the posteriors are so close
 * to normal that the normal approximation agrees to within 1e-4; it is used there to keep
 * the report fast.
 */
export function probabilityBBeatsA(aA: number, bA: number, aB: number, bB: number): number {
  if (Math.min(aA, aB) > EXACT_LIMIT || !Number.isInteger(aA) || !Number.isInteger(aB)) {
    return normalApproximation(aA, bA, aB, bB);
  }
  if (aB <= aA) return clamp01(sumBBeatsA(aA, bA, aB, bB));
  return clamp01(1 - sumBBeatsA(aB, bB, aA, bA));
}

/** Terms of the exact sum above which the normal approximation is used. */
export const EXACT_LIMIT = 50_000;

function sumBBeatsA(aA: number, bA: number, aB: number, bB: number): number {
  let total = 0;
  const lbA = betaln(aA, bA);
  for (let i = 0; i < aB; i++) {
    total += Math.exp(betaln(aA + i, bA + bB) - Math.log(bB + i) - betaln(1 + i, bB) - lbA);
  }
  return total;
}

function normalApproximation(aA: number, bA: number, aB: number, bB: number): number {
  const mean = (a: number, b: number) => a / (a + b);
  const variance = (a: number, b: number) => (a * b) / ((a + b) ** 2 * (a + b + 1));
  const sd = Math.sqrt(variance(aA, bA) + variance(aB, bB));
  return phi((mean(aB, bB) - mean(aA, bA)) / sd);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * Sample ratio mismatch: the chi-square goodness-of-fit test of the visitors per variant
 * against an even split (`scipy.stats.chisquare`). Null with fewer than two variants or no
 * visitors.
 */
export function sampleRatioTest(visitors: readonly number[]): number | null {
  const k = visitors.length;
  const total = visitors.reduce((s, v) => s + v, 0);
  if (k < 2 || total <= 0) return null;
  const expected = total / k;
  const chi2 = visitors.reduce((s, v) => s + (v - expected) ** 2 / expected, 0);
  // Upper tail of χ²(k − 1): Q((k − 1)/2, χ²/2).
  return gammainc(chi2 / 2, (k - 1) / 2, true, true);
}

/** Running sums of one arm's per-visitor values: n, Σx, Σx². */
export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

/**
 * Welch's unequal-variances t-test of the means of B and A (`scipy.stats.ttest_ind(…,
 * equal_var=False)`), two-sided. Null when an arm has fewer than two values or both variances
 * are zero.
 */
export function welchTest(a: Moments, b: Moments): { t: number; df: number; pValue: number } | null {
  if (a.n < 2 || b.n < 2) return null;
  const meanA = a.sum / a.n;
  const meanB = b.sum / b.n;
  const varA = Math.max(0, (a.sumSquares - a.n * meanA * meanA) / (a.n - 1));
  const varB = Math.max(0, (b.sumSquares - b.n * meanB * meanB) / (b.n - 1));
  const seA = varA / a.n;
  const seB = varB / b.n;
  const se2 = seA + seB;
  if (!(se2 > 0)) return null;
  const t = (meanB - meanA) / Math.sqrt(se2);
  const df = (se2 * se2) / ((seA * seA) / (a.n - 1) + (seB * seB) / (b.n - 1));
  return { t, df, pValue: Math.min(1, 2 * tCdf(-Math.abs(t), df)) };
}
