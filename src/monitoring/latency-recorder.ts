/**
 * Records, per workspace and minute, how long conversions took to reach live subscribers:
 * from `event_time` (the seed's "user action to dashboard") and from `received_at` (Tally's
 * own part). Kept in memory and flushed to the rollups every second; a crash loses at most
 * the last second of latency samples, never a count.
 */
import { RollupAccumulator, type RollupDelta } from "./rollups.js";

export class LatencyRecorder {
  private readonly pending = new RollupAccumulator();

  record(workspaceId: string, eventTime: number, receivedAt: number, publishedAt: number): void {
    this.pending.sample(workspaceId, receivedAt, "latency", publishedAt - eventTime);
    this.pending.sample(workspaceId, receivedAt, "pipeline", publishedAt - receivedAt);
  }

  drain(): RollupDelta[] {
    return this.pending.drain();
  }
}
