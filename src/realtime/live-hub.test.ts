import { describe, expect, it } from "vitest";
import * as ws from "ws";
import { ALL_WORKSPACES, CLOSE_TOO_SLOW, framed, LiveHub, type LiveSocket } from "./live-hub.js";
import type { WireMessage } from "./messages.js";

class FakeSocket implements LiveSocket {
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code: number; reason: string } | null = null;
  corks = 0;
  /** Bytes "sent" add to the backlog, as on a reader that does not read. */
  constructor(protected readonly growsBy = 0) {}
  send(data: Buffer): void {
    this.sent.push(data.toString());
    this.bufferedAmount += this.growsBy;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.corks--;
  }
}

/** Decodes frames with ws's own parser, as a client would (client side: unmasked frames are legal). */
// ws's Receiver is exported but missing from its type definitions.
const { Receiver } = ws as unknown as {
  Receiver: new (o: { isServer: boolean; skipUTF8Validation: boolean }) => {
    on(event: "message", fn: (data: Buffer, isBinary: boolean) => void): void;
    write(chunk: Buffer): void;
  };
};

function unframe(wire: Buffer): string[] {
  const out: string[] = [];
  const r = new Receiver({ isServer: false, skipUTF8Validation: false });
  r.on("message", (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    out.push(data.toString());
  });
  r.write(wire);
  return out;
}

/** A socket that takes ready-made frames (the server's own WebSockets). */
class FramedSocket extends FakeSocket {
  writes: Buffer[] = [];
  refuse = false;
  sendFramed(frames: Buffer): boolean {
    if (this.refuse) return false;
    this.writes.push(frames);
    this.bufferedAmount += this.growsByFramed;
    return true;
  }
  constructor(private readonly growsByFramed = 0) {
    super(growsByFramed);
  }
  messages(): string[] {
    return this.writes.flatMap(unframe);
  }
}

// A small alert on purpose: the byte counts below are sized to it (the hub never reads its fields).
const alert = (ws: string, n: number): WireMessage =>
  ({
    type: "alert",
    data: { workspace_id: ws, at: "2026-01-01T00:00:00.000Z", rule: "r", message: String(n) },
  }) as unknown as WireMessage;
const nextTurn = () => new Promise((r) => setImmediate(r));

describe("LiveHub", () => {
  it("sends a workspace's messages to its subscribers only; overview messages also to `*`", () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const a = new FakeSocket();
    const b = new FakeSocket();
    const all = new FakeSocket();
    hub.add("ws_a", a);
    hub.add("ws_b", b);
    hub.add(ALL_WORKSPACES, all);
    hub.broadcast("ws_a", alert("ws_a", 1), true);
    hub.broadcast("ws_a", alert("ws_a", 2));
    expect(a.sent.map((m) => (JSON.parse(m) as { data: { message: string } }).data.message)).toEqual([
      "1",
      "2",
    ]);
    expect(b.sent).toEqual([]);
    expect(all.sent).toHaveLength(1);
    expect(hub.workspaces().sort()).toEqual(["ws_a", "ws_b"]);
    expect(hub.listening("ws_c")).toBe(false);
    expect(hub.listening("ws_c", true)).toBe(true);
  });

  it("forgets a subscriber once removed", () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const a = new FakeSocket();
    const remove = hub.add("ws_a", a);
    remove();
    hub.broadcast("ws_a", alert("ws_a", 1));
    expect(a.sent).toEqual([]);
    expect(hub.size()).toBe(0);
    expect(hub.workspaces()).toEqual([]);
  });

  it("drops a subscriber whose backlog passed the limit at the start of a turn, with 4008", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const slow = new FakeSocket(600);
    const fast = new FakeSocket();
    hub.add("ws_a", slow);
    hub.add("ws_a", fast);
    hub.broadcast("ws_a", alert("ws_a", 1)); // backlog 600
    hub.broadcast("ws_a", alert("ws_a", 2)); // same turn: 1200 is a burst, allowed
    expect(slow.closed).toBeNull();
    await nextTurn();
    hub.broadcast("ws_a", alert("ws_a", 3)); // next turn: still 1200 queued → dropped
    expect(slow.closed?.code).toBe(CLOSE_TOO_SLOW);
    expect(slow.sent).toHaveLength(2);
    expect(fast.sent).toHaveLength(3);
    expect(hub.size()).toBe(1);
    expect(hub.dropped).toBe(1);
  });

  it("drops a subscriber mid-turn once a burst passes the hard cap", () => {
    const hub = new LiveHub({ maxBufferedBytes: 100 });
    const s = new FakeSocket(100);
    hub.add("ws_a", s);
    for (let i = 0; i < 20; i++) hub.broadcast("ws_a", alert("ws_a", i));
    expect(s.closed?.code).toBe(CLOSE_TOO_SLOW);
    expect(s.sent.length).toBeLessThan(20);
  });

  it("corks each socket once per turn and uncorks after it", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const s = new FakeSocket();
    hub.add("ws_a", s);
    hub.broadcast("ws_a", alert("ws_a", 1));
    hub.broadcast("ws_a", alert("ws_a", 2));
    expect(s.corks).toBe(1);
    await nextTurn();
    expect(s.corks).toBe(0);
  });

  it("frames messages as ws reads them, whatever their size", () => {
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 70_000];
    const messages = sizes.map((n) => Buffer.from("x".repeat(n)));
    expect(unframe(framed(messages)).map((m) => m.length)).toEqual(sizes);
  });

  it("writes a turn's messages to each framed subscriber once, the same buffer to all, in order", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 1_000_000 });
    const a = new FramedSocket();
    const b = new FramedSocket();
    const all = new FramedSocket();
    const other = new FramedSocket();
    hub.add("ws_a", a);
    hub.add("ws_a", b);
    hub.add(ALL_WORKSPACES, all);
    hub.add("ws_b", other);
    for (let i = 0; i < 20; i++) hub.broadcast("ws_a", alert("ws_a", i), i % 2 === 0);
    expect(a.writes).toHaveLength(0); // at the end of the turn
    await nextTurn();
    expect(a.writes).toHaveLength(1);
    expect(b.writes).toHaveLength(1);
    expect(b.writes[0]).toBe(a.writes[0]);
    const text = (m: string) => (JSON.parse(m) as { data: { message: string } }).data.message;
    expect(a.messages().map(text)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(all.messages().map(text)).toEqual(["0", "2", "4", "6", "8", "10", "12", "14", "16", "18"]);
    expect(other.writes).toHaveLength(0);
    expect(a.sent).toEqual([]); // nothing went through send()
    hub.broadcast("ws_a", alert("ws_a", 20));
    await nextTurn();
    expect(a.writes).toHaveLength(2);
    expect(a.messages().map(text).at(-1)).toBe("20");
  });

  it("does not give a subscriber the messages of the turn it joined in before it joined", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 1_000_000 });
    const early = new FramedSocket();
    const late = new FramedSocket();
    hub.add("ws_a", early);
    hub.broadcast("ws_a", alert("ws_a", 1));
    hub.add("ws_a", late);
    hub.broadcast("ws_a", alert("ws_a", 2));
    await nextTurn();
    expect(early.messages()).toHaveLength(2);
    expect(late.messages()).toHaveLength(1);
  });

  it("falls back to one send per message when a socket refuses frames", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 1_000_000 });
    const s = new FramedSocket();
    s.refuse = true;
    hub.add("ws_a", s);
    hub.broadcast("ws_a", alert("ws_a", 1));
    hub.broadcast("ws_a", alert("ws_a", 2));
    await nextTurn();
    expect(s.writes).toEqual([]);
    expect(s.sent).toHaveLength(2);
  });

  it("drops a framed subscriber whose backlog passed the limit when the turn's write comes", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const slow = new FramedSocket(1200); // each write leaves 1200 bytes unread
    const fast = new FramedSocket();
    hub.add("ws_a", slow);
    hub.add("ws_a", fast);
    hub.broadcast("ws_a", alert("ws_a", 1));
    await nextTurn();
    expect(slow.closed).toBeNull();
    hub.broadcast("ws_a", alert("ws_a", 2));
    await nextTurn();
    expect(slow.closed?.code).toBe(CLOSE_TOO_SLOW);
    expect(slow.writes).toHaveLength(1);
    expect(fast.writes).toHaveLength(2);
    expect(hub.dropped).toBe(1);
    expect(hub.size()).toBe(1);
  });

  it("drops a framed subscriber when one turn's burst passes the hard cap", async () => {
    const hub = new LiveHub({ maxBufferedBytes: 100 });
    const s = new FramedSocket();
    hub.add("ws_a", s);
    for (let i = 0; i < 20; i++) hub.broadcast("ws_a", alert("ws_a", i)); // > 8 × 100 bytes
    await nextTurn();
    expect(s.closed?.code).toBe(CLOSE_TOO_SLOW);
    expect(s.writes).toEqual([]);
  });

  it("closes everyone on shutdown", () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const s = new FakeSocket();
    hub.add("ws_a", s);
    hub.closeAll();
    expect(s.closed?.code).toBe(1001);
    expect(hub.size()).toBe(0);
  });
});
