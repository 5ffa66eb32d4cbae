// A subscriber that stops reading is cut off (close code 4008) once its unsent data passes
// TALLY_LIVE_MAX_BUFFERED_BYTES, while ingestion and the other subscribers carry on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { connectLive } from "./live-client.js";

describe("a slow live subscriber", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;

  beforeAll(async () => {
    t = await startInProcess({ TALLY_LIVE_MAX_BUFFERED_BYTES: "262144" });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("is dropped with 4008 while ingestion goes on", async () => {
    const ws = await createWorkspace(t.url, ADMIN_TOKEN, "Flood");
    const url = `${t.url.replace(/^http/, "ws")}/v1/live?token=${ws.secret_key}`;
    const slow = await connectLive(url);
    const fast = await connectLive(url);
    slow.ws.pause(); // stops reading: first the kernel buffers fill, then the server's

    // Rejected events carry what was received back to the test view: ~14 KB per message.
    // 40 requests × 60 events ≈ 34 MB, far more than loopback's socket buffers absorb.
    const filler = "x".repeat(14_000);
    const batches = 40;
    const perBatch = 60;
    for (let i = 0; i < batches; i++) {
      const data = Array.from({ length: perBatch }, (_, k) => ({
        event_name: "NotAnAction",
        event_time: nowSeconds(),
        custom_data: { n: i * perBatch + k, filler },
      }));
      const res = await ws.api("POST", "/v1/events", { data });
      expect(res.status).toBe(200);
      expect(res.body.rejected).toBe(perBatch);
    }
    const after = await ws.api("POST", "/v1/events", {
      data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "after-the-flood" }],
    });
    expect(after.body.accepted).toBe(1);

    // The subscriber that kept reading got everything, in order, and the conversion after it.
    await fast.waitFor(
      (m) => m.type === "conversion" && m.data.event_id === "after-the-flood",
      "the conversion after the flood",
      20_000,
    );
    const seen = fast.messages
      .filter((m) => m.type === "test_event")
      .map((m) => m.data.received.custom_data.n as number);
    expect(seen).toEqual(Array.from({ length: batches * perBatch }, (_, n) => n));

    // The slow one, once it reads again, finds what was queued and then the close frame.
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(4008);
    const got = slow.messages.filter((m) => m.type === "test_event").length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(batches * perBatch);
    fast.close();
  });
});
