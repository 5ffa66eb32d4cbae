/**
 * Who hears of spend once it is stored (sent, imported, or pulled by a source): the rules of
 * a workspace re-evaluate the keys it touched. Synchronous fan-out after the write; a listener
 * that throws is isolated and logged by the caller's handler, never the writer.
 */
import type { SpendRecord } from "../storage/spend-store.js";

export type SpendListener = (workspaceId: string, rows: readonly SpendRecord[]) => void;

export class SpendHub {
  private readonly listeners = new Set<SpendListener>();
  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** @returns unsubscribe */
  subscribe(fn: SpendListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stored(workspaceId: string, rows: readonly SpendRecord[]): void {
    for (const fn of this.listeners) {
      try {
        fn(workspaceId, rows);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
