/** The LISTEN/NOTIFY bridge between two "nodes" (two bridges, two buses) on one real database. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, type BusMessage, type ConversionMessage } from "../../src/bus.js";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import { startNotifyBridge, type NotifyBridge } from "../../src/storage/postgres/notify-bridge.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";
import { hostPortOf, startTcpProxy, viaProxy, type TcpProxy } from "./tcp-proxy.js";
import { commitCore } from "../../src/open-store.js";

const pgUp = await postgresAvailable("the live-feed bridge tests");
const silent = { warn: () => {}, info: () => {}, debug: () => {} };

function conversion(id: string, extra: Partial<ConversionMessage> = {}): ConversionMessage {
  return {
    type: "conversion",
    workspaceId: "ws_1",
    id,
    eventName: "Purchase",
    eventTime: 1,
    receivedAt: 2,
    value: 9.5,
    currency: "USD",
    eventId: null,
    attribution: null,
    ...extra,
  };
}

/** Resolves with the messages once `n` have arrived. */
function collect(bus: Bus, n: number): { got: BusMessage[]; done: Promise<BusMessage[]> } {
  const got: BusMessage[] = [];
  let resolve!: (m: BusMessage[]) => void;
  const done = new Promise<BusMessage[]>((r) => (resolve = r));
  bus.subscribe((m) => {
    got.push(m);
    if (got.length === n) resolve(got);
  });
  return { got, done };
}

describe.skipIf(!pgUp)("notify bridge", () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  const busA = new Bus();
  const busB = new Bus();
  let a: NotifyBridge;
  let b: NotifyBridge;
  // A unique channel: other test files on the same database publish on the default one.
  const channel = `tally_events_${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    schema = await createTestSchema();
    const store = new PostgresStore({
      url: schema.url,
      dedupWindowMs: 1000,
      maxGroupWeight: 100,
      core: commitCore,
    });
    await store.init(); // creates live_spill
    await store.close();
    const { host, port } = hostPortOf(schema.url);
    proxy = await startTcpProxy(host, port);
    a = await startNotifyBridge({ url: schema.url, bus: busA, nodeId: "node-a", logger: silent, channel });
    b = await startNotifyBridge({
      url: viaProxy(schema.url, proxy),
      bus: busB,
      nodeId: "node-b",
      logger: silent,
      channel,
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await schema?.drop();
  });

  it("re-publishes another node's messages as remote, and never a node's own", async () => {
    const onB = collect(busB, 2);
    const onA: BusMessage[] = [];
    busA.subscribe((m) => onA.push(m));
    await Promise.all([a.publishLocal([conversion("evt_1")]), a.publishLocal([conversion("evt_2")])]);
    expect(await onB.done).toEqual([
      { ...conversion("evt_1"), remote: true },
      { ...conversion("evt_2"), remote: true },
    ]);
    // a message from B arriving on A proves A's own two would have arrived before it
    const back = collect(busA, 1);
    await b.publishLocal([conversion("evt_from_b")]);
    await back.done;
    expect(onA.map((m) => (m as ConversionMessage).id)).toEqual(["evt_from_b"]);
  });

  it("splits a large batch into payloads under 8000 bytes and spills a message too big for one", async () => {
    const big = Array.from({ length: 60 }, (_, i) => conversion(`evt_b${i}`, { eventId: "x".repeat(1000) }));
    const huge = conversion("evt_huge", { eventId: "y".repeat(20_000) });
    const onB = collect(busB, 61);
    await a.publishLocal([...big, huge]);
    const got = await onB.done;
    expect(got.map((m) => (m as ConversionMessage).id).sort()).toEqual(
      [...big, huge].map((m) => m.id).sort(),
    );
    expect(got.find((m) => (m as ConversionMessage).id === "evt_huge")).toEqual({ ...huge, remote: true });
  });

  it("listens again by itself after its connection to the database is cut", async () => {
    proxy.cut();
    proxy.restore();
    // Until B has re-subscribed, notifications are lost (best effort): send until one arrives.
    let arrived = false;
    busB.subscribe((m) => {
      if ((m as ConversionMessage).id === "evt_after") arrived = true;
    });
    for (let i = 0; i < 200 && !arrived; i++) {
      await a.publishLocal([conversion("evt_after")]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(arrived).toBe(true);
  });
});
