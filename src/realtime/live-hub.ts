/**
 * Fan-out of live messages to WebSocket subscribers, per workspace. Sending only queues bytes
 * on a socket, never waits: a subscriber whose unsent data passes `maxBufferedBytes` is closed
 * (4008) and forgotten, so one slow dashboard never holds up ingestion or the others.
 *
 * "Unsent" is measured when a turn of the event loop first writes to the socket, i.e. what
 * is still queued from earlier turns, when the reader had its chance to catch up. A burst
 * written within one turn (one ingested batch of up to 1000 events) does not count against a
 * healthy reader, up to `BURST_FACTOR` times the limit.
 *
 * Each message is serialised once however many subscribers get it. For sockets that take
 * ready-made WebSocket frames (`sendFramed`: the server's own, uncompressed), the messages a
 * scope gets in one turn of the event loop (a whole ingested batch) are framed once, joined
 * into one buffer, and that same buffer is written to every subscriber of the scope at the
 * end of the turn: one write per subscriber per batch, whatever the number of messages (the
 * fan-out at 100 subscribers was a write of two chunks per message per subscriber). Other
 * sockets get each message at once through `send`, corked for the turn.
 */
import type { Socket } from "node:net";
import * as ws from "ws";
import type { WireMessage } from "./messages.js";

/** The part of a WebSocket (plus its TCP socket) the hub uses; tests pass plain objects. */
export interface LiveSocket {
  readonly bufferedAmount: number;
  send(data: Buffer): void;
  close(code: number, reason: string): void;
  /**
   * Writes text messages already framed for the wire (unmasked, uncompressed WebSocket
   * frames, one after the other) in one write; false when this socket cannot take them now
   * (an extension was negotiated, it is closing), and the hub then uses `send`.
   */
  sendFramed?(frames: Buffer): boolean;
  /** Holds writes until `uncork` (optional: batching only). */
  cork?(): void;
  uncork?(): void;
}

/**
 * A `ws` socket as the hub's `LiveSocket`. Ready-made frames go straight to the TCP socket ws
 * writes its own frames to, in order: only while open (no close frame sent yet) and with no
 * extension (ws would compress through a queue of its own).
 */
export function liveSocketOf(socket: ws.WebSocket, tcp: Socket): LiveSocket {
  return {
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    send: (data) => socket.send(data, { binary: false }),
    sendFramed: (frames) => {
      if (socket.readyState !== socket.OPEN || socket.extensions !== "" || tcp.destroyed) return false;
      tcp.write(frames);
      return true;
    },
    close: (code, reason) => socket.close(code, reason),
    cork: () => tcp.cork(),
    uncork: () => tcp.uncork(),
  };
}

/** ws frames a message the way it frames its own sends (RFC 6455; a server never masks). */
// ws's Sender is exported but missing from its type definitions.
const frameOf = (ws as unknown as { Sender: { frame(this: void, data: Buffer, o: FrameOptions): Buffer[] } })
  .Sender.frame;
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
const TEXT_FRAME: FrameOptions = { fin: true, rsv1: false, opcode: 0x01, mask: false, readOnly: true };

/** The messages in one buffer of consecutive text frames. */
export function framed(messages: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) for (const p of frameOf(m, TEXT_FRAME)) parts.push(p);
  return Buffer.concat(parts);
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
  /** Messages of the current turn per scope, for its subscribers that take frames (in order). */
  private readonly pending = new Map<LiveScope, Buffer[]>();
  private flushScheduled = false;
  private droppedCount = 0;

  constructor(private readonly opts: LiveHubOptions) {}

  /** Adds a subscriber; the returned function removes it (call it when the socket closes). */
  add(scope: LiveScope, socket: LiveSocket): () => void {
    // Messages of this turn went out before this subscriber came: not to it.
    if (this.pending.size > 0) this.flush();
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
    if (own) this.toScope(workspaceId, own, frame);
    if (all) this.toScope(ALL_WORKSPACES, all, frame);
  }

  private toScope(scope: LiveScope, subs: Set<Sub>, frame: Buffer): void {
    let framedSubs = false;
    for (const sub of subs) {
      if (sub.socket.sendFramed) framedSubs = true;
      else this.send(sub, frame);
    }
    if (!framedSubs) return;
    const list = this.pending.get(scope);
    if (list) list.push(frame);
    else this.pending.set(scope, [frame]);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
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
      this.drop(sub);
      return;
    }
    if (first) {
      this.touched.add(sub);
      sub.socket.cork?.();
      this.scheduleFlush();
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
    for (const [scope, messages] of this.pending) {
      this.pending.delete(scope);
      const subs = this.scopes.get(scope);
      if (!subs) continue;
      let wire: Buffer | null = null;
      for (const sub of [...subs]) {
        if (!sub.open || !sub.socket.sendFramed) continue;
        wire ??= framed(messages);
        this.sendWire(sub, wire, messages);
      }
    }
    for (const sub of this.touched) if (sub.open) sub.socket.uncork?.();
    this.touched.clear();
  }

  /** One turn's messages to a subscriber that takes frames: in one write, or one by one when it cannot. */
  private sendWire(sub: Sub, wire: Buffer, messages: Buffer[]): void {
    const backlog = sub.socket.bufferedAmount;
    if (
      backlog > this.opts.maxBufferedBytes ||
      backlog + wire.length > this.opts.maxBufferedBytes * BURST_FACTOR
    ) {
      this.drop(sub);
      return;
    }
    try {
      if (sub.socket.sendFramed!(wire)) return;
    } catch {
      this.remove(sub);
      return;
    }
    for (const m of messages) this.send(sub, m);
  }

  private drop(sub: Sub): void {
    this.droppedCount++;
    this.close(sub, CLOSE_TOO_SLOW, "too slow: messages were piling up");
    this.remove(sub);
    this.opts.onDropped?.(sub.scope);
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
