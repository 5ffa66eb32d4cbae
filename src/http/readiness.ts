/**
 * Whether the store answers. Checked every second in the background, so `/readyz` and the
 * ingest routes answer at once: while the store is down, writes get 503 + Retry-After
 * instead of a 200 that could not be kept, and the node recovers by itself.
 */
import type { Store } from "../storage/storage.js";

export class Readiness {
  private ok = true;
  private closingFlag = false;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Store) {}

  get ready(): boolean {
    return this.ok;
  }

  /** Set when shutdown starts: new requests get 503 not_ready from then on. */
  get closing(): boolean {
    return this.closingFlag;
  }

  markClosing(): void {
    this.closingFlag = true;
  }

  get reason(): string | null {
    return this.lastError;
  }

  async check(): Promise<boolean> {
    try {
      await this.store.ping();
      this.ok = true;
      this.lastError = null;
    } catch (err) {
      this.ok = false;
      this.lastError = err instanceof Error ? err.message : String(err);
    }
    return this.ok;
  }

  /** A failure seen on the write path marks the store down until the next good ping. */
  markDown(err: unknown): void {
    this.ok = false;
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
