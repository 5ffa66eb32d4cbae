/**
 * Whether the store answers. Checked every second in the background, so `/readyz` and the
 * ingest routes answer at once: while the store is down, writes get 503 + Retry-After
 * instead of a 200 that could not be kept, and the node recovers by itself.
 *
 * The store's own error (host names, users, file paths) is for the operator: it goes to the
 * log when the store goes down, never into an HTTP answer.
 */
import type { Store } from "../storage/storage.js";

export class Readiness {
  private ok = true;
  private closingFlag = false;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    /** Told once each time the store goes down, with the store's own error. */
    private readonly onDown: (reason: string) => void = () => {},
  ) {}

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

  /** The store's last error, for the log only (never send it to a client). */
  get reason(): string | null {
    return this.lastError;
  }

  private down(err: unknown): void {
    const wasUp = this.ok;
    this.ok = false;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (wasUp) this.onDown(this.lastError);
  }

  async check(): Promise<boolean> {
    try {
      await this.store.ping();
      this.ok = true;
      this.lastError = null;
    } catch (err) {
      this.down(err);
    }
    return this.ok;
  }

  /** A failure seen on the write path marks the store down until the next good ping. */
  markDown(err: unknown): void {
    this.down(err);
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
