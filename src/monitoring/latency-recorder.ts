/**
 * Records, per workspace and minute, how long conversions took to reach live subscribers:
 * from `event_time` (the seed's "user action to dashboard") and from `received_at` (Tally's
 * own part). Kept in memory and flushed to the rollups every second; a crash loses at most
 * the last second of latency samples, never a count.
 */
import { emptyHistogram, record } from "./histogram.js";
import { minuteOf } from "../pipeline/commit.js";
import type { RollupDelta } from "../storage/storage.js";

export class LatencyRecorder {
  private pending = new Map<string, RollupDelta & { latency: number[]; pipeline: number[] }>();

  record(workspaceId: string, eventTime: number, receivedAt: number, publishedAt: number): void {
    const minute = minuteOf(receivedAt);
    const key = `${workspaceId}|${minute}`;
    let d = this.pending.get(key);
    if (!d) {
      d = { workspaceId, minute, latency: emptyHistogram(), pipeline: emptyHistogram() };
      this.pending.set(key, d);
    }
    record(d.latency, publishedAt - eventTime);
    record(d.pipeline, publishedAt - receivedAt);
  }

  drain(): RollupDelta[] {
    if (this.pending.size === 0) return [];
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }
}
