/**
 * value_anomaly, per event name: a value in the window more than `threshold` (default 50) times
 * the baseline's median value, or less than 1/threshold of it — a misplaced decimal, cents sent
 * as units, a wrong currency. Values are kept as a log histogram (ten buckets a decade), so a
 * value counts only when its whole bucket is past the line: never a false alarm from rounding.
 * It resolves after a window with no such value.
 */
import type { RuleSettings } from "../alert-settings.js";
import type { SeriesView } from "../series-book.js";
import { bucketLow, VALUE_BUCKETS_PER_DECADE } from "../series.js";
import type { Condition } from "./condition.js";

export function valueAnomaly(v: SeriesView, s: RuleSettings): Condition[] {
  const w = s.window_seconds * 1000;
  const b = s.baseline_seconds * 1000;
  const byName = new Map<string, { bucket: number; key: string }[]>();
  for (const k of v.keys("v:")) {
    const i = k.lastIndexOf(":");
    const name = k.slice(2, i);
    const list = byName.get(name) ?? [];
    list.push({ bucket: Number(k.slice(i + 1)), key: k });
    byName.set(name, list);
  }
  const steps = Math.ceil(Math.log10(s.threshold) * VALUE_BUCKETS_PER_DECADE);
  const out: Condition[] = [];
  for (const [name, buckets] of byName) {
    buckets.sort((x, y) => x.bucket - y.bucket);
    const base = buckets.map((x) => ({ ...x, n: v.baselineTotal(x.key, w, b) ?? 0 }));
    const total = base.reduce((a, x) => a + x.n, 0);
    if (total < s.min_count) continue;
    let acc = 0;
    let median = base[0]!.bucket;
    for (const x of base) {
      acc += x.n;
      if (acc >= total / 2) {
        median = x.bucket;
        break;
      }
    }
    // A bucket spans [low, low·10^0.1): only buckets wholly past the line count.
    const high = buckets.filter((x) => x.bucket >= median + 1 + steps && v.window(x.key, w) > 0);
    const low = buckets.filter((x) => x.bucket + 1 <= median - steps && v.window(x.key, w) > 0);
    if (high.length === 0 && low.length === 0) continue;
    const count = [...high, ...low].reduce((a, x) => a + v.window(x.key, w), 0);
    const medianValue = Math.round(bucketLow(median + 0.5) * 100) / 100;
    const direction = high.length > 0 ? "above" : "below";
    out.push({
      kind: "value_anomaly",
      subject: `event_name:${name}`,
      severity: s.severity,
      diagnosis: "value_misreported",
      message: `${count} ${name} value${count === 1 ? " was" : "s were"} more than ${s.threshold}× ${direction} the usual ${medianValue} in the last ${s.window_seconds} s: a misplaced decimal, cents sent as units, or a wrong currency?`,
      details: {
        event_name: name,
        count,
        baseline_median: medianValue,
        direction,
        values_from: Math.round(bucketLow((high[0] ?? low[0])!.bucket) * 100) / 100,
        window_seconds: s.window_seconds,
      },
    });
  }
  return out;
}
