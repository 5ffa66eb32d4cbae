/**
 * Fan-out of live messages to WebSocket subscribers, per workspace. Sending only queues bytes
 * on a socket, never waits: a subscriber whose unsent data passes `maxBufferedBytes` is closed
 * (4008) and forgotten, so one slow dashboard never holds up ingestion or the others.
 *
 * "Unsent" is measured when a turn of the event loop first writes to the socket, i.e. what
 * is still queued from earlier turns, when the reader had its chance to catch up. A burst
 * written within one turn (one ingested batch of up to 1000 events) does not count against a
 * healthy reader, up to `BURST_FACTOR` times the limit. Frames are Buffers shared by all
 * subscribers, so a burst costs its size once, not once per subscriber.
 *
 * Each message is serialised once however many subscribers get it, and the frames written to
 * a socket in one turn of the event loop (a whole ingested batch) leave in one write.
 */
import type { WireMessage } from "./messages.js";

/** The part of a WebSocket (plus its TCP socket) the hub uses; tests pass plain objects. */
export interface LiveSocket {
  readonly bufferedAmount: number;
  send(data: Buffer): void;
  close(code: number, reason: string): void;
  /** Holds writes until `uncork` (optional: batching only). */
  cork?(): void;
  uncork?(): void;
}

/** A subscription to one workspace, or to every workspace (`"*"`, dashboard overview). */
export type LiveScope = string;
export const ALL_WORKSPACES: LiveScope = "*";

export const CLOSE_TOO_SLOW = 4008;
export const CLOSE_GOING_AWAY = 1001;
/** How far one turn's writes may take a subscriber past the limit before it is dropped anyway. */
export const BURST_FACTOR = 8;

interface Sub {
  scope: LiveScope;
  socket: LiveSocket;
  open: boolean;
}

export interface LiveHubOptions {
  maxBufferedBytes: number;
  onDropped?: (scope: LiveScope) => void;
}

export class LiveHub {
  private readonly scopes = new Map<LiveScope, Set<Sub>>();
  /** Subscribers written to in the current turn (corked, when their socket can be). */
  private readonly touched = new Set<Sub>();
  private flushScheduled = false;
  private droppedCount = 0;

  constructor(private readonly opts: LiveHubOptions) {}

  /** Adds a subscriber; the returned function removes it (call it when the socket closes). */
  add(scope: LiveScope, socket: LiveSocket): () => void {
    const sub: Sub = { scope, socket, open: true };
    let set = this.scopes.get(scope);
    if (!set) {
      set = new Set();
      this.scopes.set(scope, set);
    }
    set.add(sub);
    return () => this.remove(sub);
  }

  /** Workspaces with at least one subscriber of their own (the overview's `*` excluded). */
  workspaces(): string[] {
    return [...this.scopes.keys()].filter((s) => s !== ALL_WORKSPACES);
  }

  /** Whether a broadcast to this workspace would reach anyone (saves building unseen messages). */
  listening(workspaceId: string, overview = false): boolean {
    return this.scopes.has(workspaceId) || (overview && this.scopes.has(ALL_WORKSPACES));
  }

  size(): number {
    let n = 0;
    for (const s of this.scopes.values()) n += s.size;
    return n;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Sends to the workspace's subscribers and, with `overview`, to those watching every workspace. */
  broadcast(workspaceId: string, message: WireMessage, overview = false): void {
    const own = this.scopes.get(workspaceId);
    const all = overview ? this.scopes.get(ALL_WORKSPACES) : undefined;
    if (!own && !all) return;
    const frame = Buffer.from(JSON.stringify(message));
    if (own) for (const sub of own) this.send(sub, frame);
    if (all) for (const sub of all) this.send(sub, frame);
  }

  /** Closes every subscriber (shutdown). */
  closeAll(code = CLOSE_GOING_AWAY, reason = "server shutting down"): void {
    for (const set of this.scopes.values()) for (const sub of set) this.close(sub, code, reason);
    this.scopes.clear();
  }

  private send(sub: Sub, frame: Buffer): void {
    if (!sub.open) return;
    const first = !this.touched.has(sub);
    const limit = first ? this.opts.maxBufferedBytes : this.opts.maxBufferedBytes * BURST_FACTOR;
    if (sub.socket.bufferedAmount > limit) {
      this.droppedCount++;
      this.close(sub, CLOSE_TOO_SLOW, "too slow: messages were piling up");
      this.remove(sub);
      this.opts.onDropped?.(sub.scope);
      return;
    }
    if (first) {
      this.touched.add(sub);
      sub.socket.cork?.();
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(() => this.flush());
      }
    }
    try {
      sub.socket.send(frame);
    } catch {
      // The socket closed under us; its close handler removes it.
      this.remove(sub);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const sub of this.touched) if (sub.open) sub.socket.uncork?.();
    this.touched.clear();
  }

  private close(sub: Sub, code: number, reason: string): void {
    if (!sub.open) return;
    sub.open = false;
    if (this.touched.delete(sub)) sub.socket.uncork?.();
    try {
      sub.socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  private remove(sub: Sub): void {
    if (sub.open && this.touched.delete(sub)) sub.socket.uncork?.();
    sub.open = false;
    const set = this.scopes.get(sub.scope);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.scopes.delete(sub.scope);
  }
}
