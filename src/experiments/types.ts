/** What stores answer about experiments (both backends). */
import type { VariantCounts } from "./report.js";

export interface ExperimentSummary {
  experiment: string;
  variants: string[];
  firstSeen: number;
  lastSeen: number;
}

export interface ExperimentQuery {
  experiment: string;
  eventName: string;
  /** Visitors first exposed in [from, to); null = unbounded. */
  from: number | null;
  to: number | null;
  /** Only values in this currency are summed (as the attribution report does). */
  currency: string;
  /** `flagged_conversions: "exclude"`: flagged conversions count nowhere. */
  excludeFlagged?: boolean;
}

/** Every variant of the experiment, with zero counts where nobody was exposed in the range. */
export type ExperimentCounts = VariantCounts[];

/** Groups (experiment, variant, first seen, last seen) rows into summaries, by name. */
export function summarize(
  rows: readonly { experiment: string; variant: string; first_seen: number; last_seen: number }[],
): ExperimentSummary[] {
  const out = new Map<string, ExperimentSummary>();
  for (const r of rows) {
    const s = out.get(r.experiment);
    if (!s) {
      out.set(r.experiment, {
        experiment: r.experiment,
        variants: [r.variant],
        firstSeen: Number(r.first_seen),
        lastSeen: Number(r.last_seen),
      });
      continue;
    }
    s.variants.push(r.variant);
    s.firstSeen = Math.min(s.firstSeen, Number(r.first_seen));
    s.lastSeen = Math.max(s.lastSeen, Number(r.last_seen));
  }
  return [...out.values()];
}

/** Merges visitor counts and converter aggregates per variant into report input. */
export function countsOf(
  variants: readonly string[],
  visitors: readonly { variant: string; n: number }[],
  converters: readonly {
    variant: string;
    converters: number;
    conversions: number;
    value: number;
    squares: number;
  }[],
): ExperimentCounts {
  const byVariant = new Map<string, VariantCounts>();
  for (const v of variants)
    byVariant.set(v, { variant: v, visitors: 0, converters: 0, conversions: 0, value: 0, valueSquares: 0 });
  for (const r of visitors) {
    const c = byVariant.get(r.variant);
    if (c) c.visitors = Number(r.n);
  }
  for (const r of converters) {
    const c = byVariant.get(r.variant);
    if (!c) continue;
    c.converters = Number(r.converters);
    c.conversions = Number(r.conversions);
    c.value = Number(r.value ?? 0);
    c.valueSquares = Number(r.squares ?? 0);
  }
  return [...byVariant.values()];
}
