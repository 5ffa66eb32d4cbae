/**
 * A progress bar on stderr for long CLI runs (imports, simulations): rows so far, rows per
 * second, percent done and time left. On a terminal it redraws one line in place; when
 * stderr is a file or a pipe (CI logs) it prints a plain line every few seconds instead, so
 * logs stay readable and small.
 */
import type { Writable } from "node:stream";

export interface ProgressState {
  label: string;
  /** Items handled so far (rows, events). */
  count: number;
  unit: string;
  elapsedMs: number;
  /** Share of the work done, 0–1; null when the total is unknown (a live run). */
  fraction: number | null;
}

export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  label: string;
  unit?: string;
  /** Time between redraws on a terminal. */
  ttyIntervalMs?: number;
  /** Time between plain lines when not on a terminal. */
  lineIntervalMs?: number;
  now?: () => number;
}

const BAR_WIDTH = 24;

/** "1:02:03", "2:05", "0:07". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

const num = (n: number): string => Math.round(n).toLocaleString("en-US");

/** One progress line, without bar (for logs) or with one (for terminals). */
export function formatProgress(p: ProgressState, withBar: boolean): string {
  const rate = p.elapsedMs > 0 ? (p.count * 1000) / p.elapsedMs : 0;
  const parts: string[] = [p.label];
  if (p.fraction !== null) {
    const f = Math.min(1, Math.max(0, p.fraction));
    if (withBar) {
      const filled = Math.round(f * BAR_WIDTH);
      parts.push(`[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}]`);
    }
    parts.push(`${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`);
  }
  parts.push(`${num(p.count)} ${p.unit}`, `${num(rate)} ${p.unit}/s`);
  if (p.fraction !== null && p.fraction > 0 && p.fraction < 1) {
    parts.push(`ETA ${formatDuration((p.elapsedMs * (1 - p.fraction)) / p.fraction)}`);
  } else {
    parts.push(`elapsed ${formatDuration(p.elapsedMs)}`);
  }
  return parts.join("  ");
}

export class Progress {
  private readonly started: number;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly interval: number;
  private lastDraw = -Infinity;
  private count = 0;
  private fraction: number | null = null;
  private finished = false;

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.tty = opts.stream.isTTY === true;
    this.interval = this.tty ? (opts.ttyIntervalMs ?? 100) : (opts.lineIntervalMs ?? 5000);
  }

  /** Records the state; draws when the last drawing is old enough. */
  update(count: number, fraction: number | null = null): void {
    this.count = count;
    this.fraction = fraction;
    const t = this.now();
    if (t - this.lastDraw >= this.interval) {
      this.lastDraw = t;
      this.draw(false);
    }
  }

  /** Draws the final state and ends the line. Safe to call twice. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.draw(true);
  }

  private state(): ProgressState {
    return {
      label: this.opts.label,
      count: this.count,
      unit: this.opts.unit ?? "rows",
      elapsedMs: this.now() - this.started,
      fraction: this.fraction,
    };
  }

  private draw(final: boolean): void {
    const line = formatProgress(this.state(), this.tty);
    if (this.tty) {
      const cols = this.opts.stream.columns ?? 120;
      // \r and "erase to end of line": the bar is redrawn in place.
      this.opts.stream.write(`\r${line.slice(0, cols - 1)}\x1b[K${final ? "\n" : ""}`);
    } else {
      this.opts.stream.write(line + "\n");
    }
  }
}
