/**
 * The last hour of test events and rejected events per workspace, in memory, so the test view
 * shows history when it opens. Bounded twice: by age and by count (the oldest go first).
 * Each node keeps what its bus saw, remote messages included, so any node can answer.
 */
import type { WireTestEvent } from "./messages.js";

export interface TestEventRingOptions {
  maxPerWorkspace: number;
  maxAgeMs: number;
  now?: () => number;
}

interface Entry {
  at: number;
  data: WireTestEvent;
}

export class TestEventRing {
  private readonly byWorkspace = new Map<string, Entry[]>();
  private readonly now: () => number;

  constructor(private readonly opts: TestEventRingOptions) {
    this.now = opts.now ?? Date.now;
  }

  add(workspaceId: string, at: number, data: WireTestEvent): void {
    let list = this.byWorkspace.get(workspaceId);
    if (!list) {
      list = [];
      this.byWorkspace.set(workspaceId, list);
    }
    list.push({ at, data });
    // Trimming in chunks keeps `add` O(1) amortised instead of shifting on every event.
    if (list.length > this.opts.maxPerWorkspace * 1.25)
      list.splice(0, list.length - this.opts.maxPerWorkspace);
  }

  /** Newest first, at most `maxPerWorkspace`, none older than `maxAgeMs`. */
  list(workspaceId: string): WireTestEvent[] {
    const list = this.byWorkspace.get(workspaceId);
    if (!list) return [];
    const since = this.now() - this.opts.maxAgeMs;
    let first = 0;
    while (first < list.length && list[first]!.at < since) first++;
    if (first > 0) list.splice(0, first);
    if (list.length === 0) {
      this.byWorkspace.delete(workspaceId);
      return [];
    }
    return list
      .slice(-this.opts.maxPerWorkspace)
      .reverse()
      .map((e) => e.data);
  }

  /** Drops what has aged out everywhere (called now and then so idle workspaces free memory). */
  sweep(): void {
    for (const id of [...this.byWorkspace.keys()]) this.list(id);
  }
}
