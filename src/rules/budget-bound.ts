/**
 * How far one signal may move a campaign's daily budget. A signal asks for `change_pct` up
 * or down from the current budget; over one day (workspace timezone) the budget of one key
 * never leaves [base × (1 − max/100), base × (1 + max/100)], `base` being the budget before the
 * day's first change. A change that would cross the bound is cut to it; one that cannot move
 * at all is refused with the reason. Pure.
 */

export type BudgetChange =
  { ok: true; from: number; to: number; clamped: boolean } | { ok: false; reason: string };

export interface BudgetDay {
  /** The budget before the first change of the day. */
  base: number;
}

/**
 * @example
 * boundedBudget(100, "increase", 20, 50, { base: 100 }); // { ok: true, from: 100, to: 120, clamped: false }
 * boundedBudget(140, "increase", 20, 50, { base: 100 }); // { ok: true, from: 140, to: 150, clamped: true }
 * boundedBudget(150, "increase", 20, 50, { base: 100 }); // { ok: false, reason: "…daily limit…" }
 */
export function boundedBudget(
  current: number,
  direction: "increase" | "decrease",
  changePct: number,
  maxDailyPct: number,
  day: BudgetDay | null,
): BudgetChange {
  if (!Number.isFinite(current) || current <= 0)
    return {
      ok: false,
      reason: "the campaign has no daily budget to change (budget on ad sets, or a lifetime budget)",
    };
  const base = day?.base ?? current;
  const wanted = direction === "increase" ? current * (1 + changePct / 100) : current * (1 - changePct / 100);
  const upper = base * (1 + maxDailyPct / 100);
  const lower = Math.max(0, base * (1 - maxDailyPct / 100));
  const to = roundCents(Math.min(upper, Math.max(lower, wanted)));
  if (direction === "increase" ? to <= current : to >= current)
    return {
      ok: false,
      reason: `the daily limit of ${maxDailyPct}% change is reached for this key today (budget ${current}, day's first ${base})`,
    };
  return { ok: true, from: current, to, clamped: to !== roundCents(wanted) };
}

/** Budgets are set in cents (the smallest unit of most currencies; platforms round the rest). */
export function roundCents(n: number): number {
  return Math.round(n * 100) / 100;
}
