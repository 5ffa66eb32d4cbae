/**
 * The experiment report from per-variant counts: rates, lift, the z-test and interval against
 * the control, the probability to beat the control, Welch's test on value per visitor, the
 * sample-ratio test, and the guard rails (minimum sample, SRM warning, Bonferroni).
 */
import {
  differenceInterval,
  probabilityBBeatsA,
  sampleRatioTest,
  twoProportionTest,
  welchTest,
} from "./stats.js";

/** What the store counts per variant. */
export interface VariantCounts {
  variant: string;
  /** Identities first exposed in the report's range. */
  visitors: number;
  /** Visitors with at least one conversion after their first exposure. */
  converters: number;
  conversions: number;
  /** Sum of the conversions' current values (workspace currency). */
  value: number;
  /** Σ over visitors of (that visitor's value)², for Welch's test. */
  valueSquares: number;
}

/** Below these, per variant, no comparison is called significant. */
export const MINIMUM_SAMPLE = Object.freeze({ visitors: 100, converters: 10, nonConverters: 10 });

/** A sample-ratio p-value below this shows the `srm` warning. */
export const SRM_THRESHOLD = 0.001;

/** The significance level before the Bonferroni correction for several treatments. */
export const ALPHA = 0.05;

/** At most this many variants are compared in one report. */
export const MAX_VARIANTS = 20;

export interface VariantReport {
  variant: string;
  visitors: number;
  converters: number;
  conversions: number;
  conversion_rate: number | null;
  value: number;
  value_per_visitor: number | null;
  lift: number | null;
  ci95: [number, number] | null;
  p_value: number | null;
  probability_to_beat_control: number | null;
  value_p_value: number | null;
  /** p_value below the corrected level AND both arms past the minimum sample. */
  significant: boolean;
}

export type ReportWarning = "sample_too_small" | "srm";

export interface ExperimentReport {
  experiment: string;
  event_name: string;
  control: string;
  srm_p_value: number | null;
  /** The level each p_value is compared with: 0.05 ÷ (variants − 1). */
  alpha: number;
  warnings: ReportWarning[];
  variants: VariantReport[];
}

function hasMinimumSample(v: VariantCounts): boolean {
  return (
    v.visitors >= MINIMUM_SAMPLE.visitors &&
    v.converters >= MINIMUM_SAMPLE.converters &&
    v.visitors - v.converters >= MINIMUM_SAMPLE.nonConverters
  );
}

/**
 * Builds the report. `counts` must hold the control (the caller answers 422 otherwise) and at
 * most {@link MAX_VARIANTS} variants; they are listed control first, then by name.
 */
export function experimentReport(
  experiment: string,
  eventName: string,
  control: string,
  counts: readonly VariantCounts[],
): ExperimentReport {
  const base = counts.find((c) => c.variant === control);
  if (!base) throw new RangeError(`control ${control} is not a variant of ${experiment}`);
  const ordered = [
    base,
    ...counts.filter((c) => c !== base).sort((a, b) => (a.variant < b.variant ? -1 : 1)),
  ];
  const alpha = ordered.length > 2 ? ALPHA / (ordered.length - 1) : ALPHA;
  const srm = sampleRatioTest(ordered.map((c) => c.visitors));
  const baseRate = base.visitors > 0 ? base.converters / base.visitors : null;
  const warnings: ReportWarning[] = [];
  if (!ordered.every(hasMinimumSample)) warnings.push("sample_too_small");
  if (srm !== null && srm < SRM_THRESHOLD) warnings.push("srm");

  const variants = ordered.map((v): VariantReport => {
    const rate = v.visitors > 0 ? v.converters / v.visitors : null;
    const own = {
      variant: v.variant,
      visitors: v.visitors,
      converters: v.converters,
      conversions: v.conversions,
      conversion_rate: rate,
      value: v.value,
      value_per_visitor: v.visitors > 0 ? v.value / v.visitors : null,
    };
    if (v === base) {
      return {
        ...own,
        lift: null,
        ci95: null,
        p_value: null,
        probability_to_beat_control: null,
        value_p_value: null,
        significant: false,
      };
    }
    const test = twoProportionTest(base.converters, base.visitors, v.converters, v.visitors);
    const welch = welchTest(moments(base), moments(v));
    const p = test?.pValue ?? null;
    return {
      ...own,
      lift: rate !== null && baseRate ? rate / baseRate - 1 : null,
      ci95: differenceInterval(base.converters, base.visitors, v.converters, v.visitors),
      p_value: p,
      probability_to_beat_control:
        base.visitors > 0 && v.visitors > 0
          ? probabilityBBeatsA(
              1 + base.converters,
              1 + base.visitors - base.converters,
              1 + v.converters,
              1 + v.visitors - v.converters,
            )
          : null,
      value_p_value: welch?.pValue ?? null,
      significant: p !== null && p < alpha && hasMinimumSample(base) && hasMinimumSample(v),
    };
  });
  return { experiment, event_name: eventName, control, srm_p_value: srm, alpha, warnings, variants };
}

function moments(v: VariantCounts) {
  return { n: v.visitors, sum: v.value, sumSquares: v.valueSquares };
}
