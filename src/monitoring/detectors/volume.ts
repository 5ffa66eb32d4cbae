/**
 * volume_drop / volume_spike: per source (`s:server`, …), per event name (`n:Purchase`, …) and
 * in total, the window's count against the baseline's expected count (same hour of past weeks,
 * else the recent period before the window). Only series with at least `min_count` expected are
 * judged; a drop fires when P(X ≤ observed) is below the per-test level, a spike when
 * P(X ≥ observed) is (each also needs its effect-size floor, below).
 *
 * Multiple tests: `threshold` (α, default 0.001) is the family-wise level of one workspace's
 * volume tests over one window's time — the chance that a steady workspace gets a false volume
 * alert in any given W. In that time each of its m judged series (the total included) is tested
 * in both directions (drop and spike are the two tails of one two-sided test) at W / 10 s window
 * placements (the window moves one slot at a time), so each single tail is held to Šidák's level
 * α* = 1 − (1 − α)^(1/(2 · m · W/10 s)) ≈ α / (2 · m · W/10 s) (perTestLevel). The family is the
 * workspace, not the server: one shop's alerts must not get duller because others share the node.
 *
 * Evidence scales with the effect (perTestLevels): that per-window level α* is enough only for a
 * gross change — a fall to at most 10% of the low end (a full stop) or a rise to at least 5×
 * the high end — whose evidence is bounded (a full stop of λ expected is P = e^−λ at best) and
 * whose cause is rarely chance. A smaller change, past its effect-size floor but not gross, must
 * clear the level of one DAY of the workspace's tests: α_day* = 1 − (1 − α)^(1/(2 · m · 8640)),
 * and its tail is taken against the recent baseline's own uncertainty (negative binomial with
 * the trend estimate's variance, trendVariance), so that a steady workspace expects a false
 * alert of that kind about once in 1/α days (≈ 3 years at the default), not once per 1/α
 * windows. A real change of that size at counts worth watching clears it at once (a fall from
 * 100 to 30 has P ≈ 10⁻¹²); a z ≈ 4 excursion, or a baseline a little behind a daily cycle, does not.
 *
 * Diagnosis, over the whole window: for the dropped series, the stretch of the window where the
 * drop is most improbable (its change point) is found, and every other series of the same
 * dimension is judged over that same stretch. When one of them keeps its pace there (at least
 * 5 expected, and its own lower tail not below 5%), the drop is `tracking_broken` for that
 * source or event name; when none does, everything fell together: one `traffic_dropped` alert
 * (subject `total`). Because every series is judged over the stretch since the change, a drop
 * of every source is never announced as `tracking_broken` just because one crossed its line first.
 */
import { nameKey, SLOT_MS, sourceKey, SOURCES } from "../series.js";
import type { RuleSettings } from "../alert-settings.js";
import { lowerTail, lowerTailMixed, upperTail, upperTailMixed } from "../poisson.js";
import type { SeriesView } from "../series-book.js";
import type { Condition } from "./condition.js";

/** A peer with fewer expected than this over the stretch cannot show it keeps its pace. */
const PEER_MIN_EXPECTED = 5;
const PEER_TAIL = 0.05;
/**
 * Effect-size floors: a drop is also a fall to at most 35% of the expected count, a spike a rise
 * to at least double. They keep a real but small shift (a slow afternoon, a baseline an hour
 * behind a daily cycle) from paging anyone; a broken integration stops far below. They are
 * checked before the tail, so a tick computes a Poisson CDF only for a series past its floor.
 */
const DROP_RATIO = 0.35;
const SPIKE_RATIO = 2;
/** A gross change (a fall to at most 10%, a rise to at least 5×) needs only the per-window level. */
const GROSS_DROP_RATIO = 0.1;
const GROSS_SPIKE_RATIO = 5;
/** A smaller change must clear the level of one day's tests (in 10-s placements). */
const DAY_PLACEMENTS = (24 * 3600 * 1000) / SLOT_MS;

const SOURCE_KEYS: readonly string[] = SOURCES.map(sourceKey);

interface Measured {
  key: string;
  observed: number;
  /** The baseline's mean, and the range its recent trend allows (BaselineRange). */
  expected: number;
  low: number;
  high: number;
  source: string;
}

interface Judged extends Measured {
  /** The expected count tested: the low end for a drop, the high end for a spike. */
  tested: number;
  p: number;
  /** The level it was held to (gross or day, by the change's size). */
  level: number;
}

/**
 * Šidák's per-test level for a family-wise level `alpha` over `tests` tests:
 * 1 − (1 − α)^(1/tests), computed without cancellation.
 */
export function sidak(alpha: number, tests: number): number {
  if (tests <= 1) return alpha;
  return -Math.expm1(Math.log1p(-alpha) / tests);
}

/** The level each single volume tail is held to: α over 2 tails × m series × W / 10 s placements. */
export function perTestLevel(s: RuleSettings, judgedSeries: number): number {
  const placements = Math.max(1, Math.round((s.window_seconds * 1000) / SLOT_MS));
  return sidak(s.threshold, 2 * Math.max(1, judgedSeries) * placements);
}

/**
 * Both levels a volume tail is held to: `gross` (perTestLevel: the family of one window's time)
 * for a fall to ≤ 10% or a rise to ≥ 10×, `day` (the family of one day's 10-s placements) for a
 * smaller change. `day` is never above `gross`.
 */
export interface Levels {
  gross: number;
  day: number;
  /**
   * The relative variance of a recent baseline's estimate of the window's count (its trend
   * carried from two halves of B), per expected event: Var(λ̂) ≈ f · λ (trendVariance).
   */
  trendVariance: number;
}

export function perTestLevels(s: RuleSettings, judgedSeries: number): Levels {
  const gross = perTestLevel(s, judgedSeries);
  const day = sidak(s.threshold, 2 * Math.max(1, judgedSeries) * DAY_PLACEMENTS);
  return { gross, day: Math.min(gross, day), trendVariance: trendVariance(s) };
}

/**
 * f with Var(λ̂) ≈ f · λ for a recent baseline's trend estimate (SeriesView.baselineRange):
 * λ̂ = W · (late + c · (late − early)), late and early the rates of B's two halves h (Poisson
 * counts), c = (h + W) / 2h → f = (W / h) · ((1 + c)² + c²). Without halves, the mean's: W / B.
 */
export function trendVariance(s: RuleSettings): number {
  const w = s.window_seconds * 1000;
  const b = s.baseline_seconds * 1000;
  if (b <= 0) return 0;
  const half = Math.floor(b / 2 / SLOT_MS) * SLOT_MS;
  if (half < SLOT_MS) return w / b;
  const c = (half + w) / 2 / half;
  return (w / half) * ((1 + c) ** 2 + c ** 2);
}

/** The gamma shape of the tested mean's uncertainty (∞: a seasonal baseline, taken as exact). */
const shapeOf = (m: Measured, tested: number, levels: Levels): number =>
  m.source === "recent" && levels.trendVariance > 0 ? tested / levels.trendVariance : Infinity;

const label = (key: string): { dimension: "source" | "event_name"; value: string } =>
  key.startsWith("s:")
    ? { dimension: "source", value: key.slice(2) }
    : { dimension: "event_name", value: key.slice(2) };

/** The observed and expected count of the sum of `keys` over the window; null when not judged. */
function measure(v: SeriesView, keys: readonly string[], s: RuleSettings, key: string): Measured | null {
  const w = s.window_seconds * 1000;
  const b = s.baseline_seconds * 1000;
  let observed = 0;
  let expected = 0;
  let low = 0;
  let high = 0;
  let source = "recent";
  for (const k of keys) {
    const base = v.baselineRange(k, w, b);
    if (!base) return null;
    source = base.source;
    expected += base.expected;
    low += base.low;
    high += base.high;
    observed += v.window(k, w);
  }
  if (expected < s.min_count) return null;
  return { key, observed, expected, low, high, source };
}

/**
 * The series one volume kind judges in a workspace now: each source and event name, and the
 * total, with at least `min_count` expected. Every accepted event counts in one source and one
 * event name, so no single series can expect more than the total: when the total cannot reach
 * `min_count` (a quiet workspace) nothing else is looked at.
 */
function measureAll(v: SeriesView, s: RuleSettings): { total: Measured | null; series: Measured[] } {
  const total = measure(v, SOURCE_KEYS, s, "total");
  const series: Measured[] = [];
  if (total === null) return { total, series };
  // The workspace's shared trend (from all its traffic: less noisy than one series' own) widens
  // each series' range too: a daily cycle moves every source and event name together.
  const down = total.low / total.expected;
  const up = total.high / total.expected;
  const add = (k: string) => {
    const m = measure(v, [k], s, k);
    if (!m) return;
    m.low = Math.min(m.low, m.expected * down);
    m.high = Math.max(m.high, m.expected * up);
    series.push(m);
  };
  for (const k of SOURCE_KEYS) add(k);
  for (const k of v.keys("n:")) add(k);
  return { total, series };
}

/** Below its floor and improbable at the level its size asks for: a drop. */
function dropped(m: Measured | null, levels: Levels): Judged | null {
  if (m === null || m.observed > m.low * DROP_RATIO) return null;
  const gross = m.observed <= m.low * GROSS_DROP_RATIO;
  const level = gross ? levels.gross : levels.day;
  const p = gross
    ? lowerTail(m.observed, m.low)
    : lowerTailMixed(m.observed, m.low, shapeOf(m, m.low, levels));
  return p < level ? { ...m, tested: m.low, p, level } : null;
}

function spiked(m: Measured, levels: Levels): Judged | null {
  if (m.observed < m.high * SPIKE_RATIO) return null;
  const gross = m.observed >= m.high * GROSS_SPIKE_RATIO;
  const level = gross ? levels.gross : levels.day;
  const p = gross
    ? upperTail(m.observed, m.high)
    : upperTailMixed(m.observed, m.high, shapeOf(m, m.high, levels));
  return p < level ? { ...m, tested: m.high, p, level } : null;
}

/** The trailing number of slots over which the series' drop is most improbable. */
function changePoint(v: SeriesView, key: string, s: RuleSettings, expectedPerWindow: number): number {
  const w = s.window_seconds * 1000;
  const slots = v.slotsOf(key, w);
  const perSlot = expectedPerWindow / slots.length;
  let best = slots.length;
  let bestP = 1;
  let obs = 0;
  for (let n = 1; n <= slots.length; n++) {
    obs += slots[slots.length - n]!;
    const p = lowerTail(obs, perSlot * n);
    if (p < bestP) {
      bestP = p;
      best = n;
    }
  }
  return best;
}

/** Whether `peer` keeps its pace over the last `nSlots` slots. */
function keepsPace(v: SeriesView, peer: string, s: RuleSettings, nSlots: number): boolean {
  const w = s.window_seconds * 1000;
  const base = v.baseline(peer, w, s.baseline_seconds * 1000);
  if (!base) return false;
  const span = nSlots * SLOT_MS;
  const expected = (base.expected * span) / w;
  if (expected < PEER_MIN_EXPECTED) return false;
  const observed = v.sum(peer, v.end - span, v.end);
  return lowerTail(observed, expected) >= PEER_TAIL;
}

const fmt = (x: number) => (x >= 10 ? String(Math.round(x)) : x.toFixed(1));

export function volumeDrop(v: SeriesView, s: RuleSettings): Condition[] {
  const { total, series } = measureAll(v, s);
  if (total === null) return [];
  const levels = perTestLevels(s, series.length + 1);
  const names = v.keys("n:");
  const out: Condition[] = [];
  const together: Judged[] = [];
  for (const m of series) {
    const j = dropped(m, levels);
    if (!j) continue;
    const group = j.key.startsWith("s:") ? SOURCE_KEYS : names;
    const n = changePoint(v, j.key, s, j.tested);
    const pacers = group.filter((p) => p !== j.key && keepsPace(v, p, s, n));
    if (pacers.length === 0) {
      together.push(j);
      continue;
    }
    const { dimension, value } = label(j.key);
    out.push({
      kind: "volume_drop",
      subject: `${dimension}:${value}`,
      severity: s.severity,
      diagnosis: "tracking_broken",
      message: `${dimension === "source" ? `Events from the ${value} source` : `${value} events`} fell to ${j.observed} in the last ${s.window_seconds} s against ${fmt(j.tested)} expected, while ${pacers.map((p) => label(p).value).join(", ")} kept their pace: tracking for ${value} looks broken.`,
      details: {
        [dimension]: value,
        observed: j.observed,
        expected: round(j.tested),
        baseline_mean: round(j.expected),
        p_value: j.p,
        p_level: j.level,
        baseline: j.source,
        window_seconds: s.window_seconds,
        keeping_pace: pacers.map((p) => label(p).value),
      },
    });
  }
  const all = dropped(total, levels);
  if (all || together.length > 0) {
    const t = all ?? together[0]!;
    out.push({
      kind: "volume_drop",
      subject: "total",
      severity: s.severity,
      diagnosis: "traffic_dropped",
      message: `Events fell to ${t.observed} in the last ${s.window_seconds} s against ${fmt(t.tested)} expected, on every source together: traffic itself dropped (or something in front of every integration is down).`,
      details: {
        observed: t.observed,
        expected: round(t.tested),
        baseline_mean: round(t.expected),
        p_value: t.p,
        p_level: t.level,
        baseline: t.source,
        window_seconds: s.window_seconds,
        series: together.map((j) => ({ ...label(j.key), observed: j.observed, expected: round(j.tested) })),
      },
    });
  }
  return out;
}

export function volumeSpike(v: SeriesView, s: RuleSettings): Condition[] {
  const { total, series } = measureAll(v, s);
  if (total === null) return [];
  const levels = perTestLevels(s, series.length + 1);
  const out: Condition[] = [];
  for (const m of series) {
    const j = spiked(m, levels);
    if (!j) continue;
    const { dimension, value } = label(j.key);
    out.push({
      kind: "volume_spike",
      subject: `${dimension}:${value}`,
      severity: s.severity,
      diagnosis: "traffic_spike",
      message: `${dimension === "source" ? `Events from the ${value} source` : `${value} events`} rose to ${j.observed} in the last ${s.window_seconds} s against ${fmt(j.tested)} expected: a campaign, a bot, or a client sending everything twice.`,
      details: {
        [dimension]: value,
        observed: j.observed,
        expected: round(j.tested),
        baseline_mean: round(j.expected),
        p_value: j.p,
        p_level: j.level,
        baseline: j.source,
        window_seconds: s.window_seconds,
      },
    });
  }
  return out;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The series a volume alert is about, for the chart of the dashboard. */
export function volumeSeriesKey(details: Record<string, unknown>): string | null {
  if (typeof details.source === "string") return sourceKey(details.source);
  if (typeof details.event_name === "string") return nameKey(details.event_name);
  return null;
}
