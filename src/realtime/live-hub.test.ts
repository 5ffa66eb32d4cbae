import { describe, expect, it } from "vitest";
import { ALL_WORKSPACES, CLOSE_TOO_SLOW, LiveHub, type LiveSocket } from "./live-hub.js";
import type { WireMessage } from "./messages.js";

class FakeSocket implements LiveSocket {
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code: number; reason: string } | null = null;
  corks = 0;
  /** Bytes "sent" add to the backlog, as on a reader that does not read. */
  constructor(private readonly growsBy = 0) {}
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

  it("closes everyone on shutdown", () => {
    const hub = new LiveHub({ maxBufferedBytes: 1000 });
    const s = new FakeSocket();
    hub.add("ws_a", s);
    hub.closeAll();
    expect(s.closed?.code).toBe(1001);
    expect(hub.size()).toBe(0);
  });
});
