/**
 * volume_drop / volume_spike: per source (`s:server`, …), per event name (`n:Purchase`, …) and
 * in total, the window's count against the baseline's expected count (same hour of past weeks,
 * else the recent period before the window). A drop fires when P(X ≤ observed) is below the
 * threshold with at least `min_count` expected; a spike when P(X ≥ observed) is.
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
import { lowerTail, upperTail } from "../poisson.js";
import type { SeriesView } from "../series-book.js";
import type { Condition } from "./condition.js";

/** A peer with fewer expected than this over the stretch cannot show it keeps its pace. */
const PEER_MIN_EXPECTED = 5;
const PEER_TAIL = 0.05;
/**
 * A drop is also a fall to at most 35% of the expected count, a spike a rise to at least double:
 * on a steady week a Poisson tail alone, tested every few seconds on every series, would page
 * someone a few times a week (bench and steady-week test); a broken integration stops far below.
 */
const DROP_RATIO = 0.35;
const SPIKE_RATIO = 2;

interface Judged {
  key: string;
  observed: number;
  expected: number;
  p: number;
  source: string;
}

function seriesKeys(v: SeriesView): { sources: string[]; names: string[] } {
  const sources = SOURCES.map(sourceKey);
  const names = v.keys("n:");
  return { sources, names };
}

const label = (key: string): { dimension: "source" | "event_name"; value: string } =>
  key.startsWith("s:")
    ? { dimension: "source", value: key.slice(2) }
    : { dimension: "event_name", value: key.slice(2) };

/** The sum of several series. */
function judge(v: SeriesView, keys: string[], s: RuleSettings, tail: "low" | "high"): Judged | null {
  const w = s.window_seconds * 1000;
  const b = s.baseline_seconds * 1000;
  let observed = 0;
  let expected = 0;
  let source = "recent";
  for (const k of keys) {
    const base = v.baseline(k, w, b);
    if (!base) return null;
    source = base.source;
    expected += base.expected;
    observed += v.window(k, w);
  }
  if (expected < s.min_count) return null;
  const p = tail === "low" ? lowerTail(observed, expected) : upperTail(observed, expected);
  return { key: keys.length === 1 ? keys[0]! : "total", observed, expected, p, source };
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
  const { sources, names } = seriesKeys(v);
  const dropped = (j: Judged | null): j is Judged =>
    j !== null && j.p < s.threshold && j.observed <= j.expected * DROP_RATIO;
  const out: Condition[] = [];
  const together: Judged[] = [];
  for (const group of [sources, names]) {
    for (const key of group) {
      const j = judge(v, [key], s, "low");
      if (!dropped(j)) continue;
      const n = changePoint(v, key, s, j.expected);
      const pacers = group.filter((p) => p !== key && keepsPace(v, p, s, n));
      if (pacers.length === 0) {
        together.push(j);
        continue;
      }
      const { dimension, value } = label(key);
      out.push({
        kind: "volume_drop",
        subject: `${dimension}:${value}`,
        severity: s.severity,
        diagnosis: "tracking_broken",
        message: `${dimension === "source" ? `Events from the ${value} source` : `${value} events`} fell to ${j.observed} in the last ${s.window_seconds} s against ${fmt(j.expected)} expected, while ${pacers.map((p) => label(p).value).join(", ")} kept their pace: tracking for ${value} looks broken.`,
        details: {
          [dimension]: value,
          observed: j.observed,
          expected: round(j.expected),
          p_value: j.p,
          baseline: j.source,
          window_seconds: s.window_seconds,
          keeping_pace: pacers.map((p) => label(p).value),
        },
      });
    }
  }
  const total = judge(v, sources, s, "low");
  if (dropped(total) || together.length > 0) {
    const t = total ?? together[0]!;
    out.push({
      kind: "volume_drop",
      subject: "total",
      severity: s.severity,
      diagnosis: "traffic_dropped",
      message: `Events fell to ${t.observed} in the last ${s.window_seconds} s against ${fmt(t.expected)} expected, on every source together: traffic itself dropped (or something in front of every integration is down).`,
      details: {
        observed: t.observed,
        expected: round(t.expected),
        p_value: t.p,
        baseline: t.source,
        window_seconds: s.window_seconds,
        series: together.map((j) => ({ ...label(j.key), observed: j.observed, expected: round(j.expected) })),
      },
    });
  }
  return out;
}

export function volumeSpike(v: SeriesView, s: RuleSettings): Condition[] {
  const { sources, names } = seriesKeys(v);
  const out: Condition[] = [];
  for (const key of [...sources, ...names]) {
    const j = judge(v, [key], s, "high");
    if (!j || j.p >= s.threshold || j.observed < j.expected * SPIKE_RATIO) continue;
    const { dimension, value } = label(key);
    out.push({
      kind: "volume_spike",
      subject: `${dimension}:${value}`,
      severity: s.severity,
      diagnosis: "traffic_spike",
      message: `${dimension === "source" ? `Events from the ${value} source` : `${value} events`} rose to ${j.observed} in the last ${s.window_seconds} s against ${fmt(j.expected)} expected: a campaign, a bot, or a client sending everything twice.`,
      details: {
        [dimension]: value,
        observed: j.observed,
        expected: round(j.expected),
        p_value: j.p,
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
