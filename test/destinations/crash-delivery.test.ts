/**
 * Durability of forwarding: the built server as a child process is killed with SIGKILL while
 * a request to the fake Meta is in flight (the fake leaves it hanging), then restarted on the
 * same data folder. Every acknowledged event reaches Meta, counted once, and every re-send
 * carries the dedup id of the first send.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { client, createWorkspace, startTally, type TallyProcess } from "../helpers/server.js";
import { ensureBuilt, BUILD_TIMEOUT_MS } from "../core/ensure-built.js";
import { startFakeMeta } from "../fakes/fake-meta.js";
import { until, type FakeServer } from "../fakes/fake-server.js";
import { createDestination, purchase, sendEvents, settled } from "./helpers.js";

let tally: TallyProcess | null = null;
let meta: FakeServer;

beforeAll(async () => {
  ensureBuilt();
  meta = await startFakeMeta({ accessToken: "EAAB-crash" });
}, BUILD_TIMEOUT_MS);
afterAll(async () => {
  await tally?.kill();
  tally?.cleanup();
  await meta?.close();
});

function idsIn(raw: string): string[] {
  const body = JSON.parse(raw) as { data?: { event_id: string }[] };
  return (body.data ?? []).map((e) => e.event_id);
}

it("kill -9 with deliveries in flight loses nothing; re-sends carry the same ids", async () => {
  tally = await startTally({ env: { TALLY_OUTBOX_POLL_MS: "20" } });
  const ws = await createWorkspace(tally.url);
  // A short timeout keeps the lease short (3 × timeout + 5 s), so the restarted node re-claims soon.
  const dest = await createDestination(ws.api, {
    type: "meta",
    config: {
      pixel_id: "77",
      access_token: "EAAB-crash",
      endpoint: meta.url,
      timeout_ms: 1000,
      retry_base_ms: 20,
    },
  });

  meta.down({ kind: "hang" });
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 5; i++) {
    const batch = Array.from({ length: 10 }, () => purchase());
    const results = await sendEvents(ws.api, batch);
    expect(results.every((r) => r.status === "accepted")).toBe(true);
    events.push(...batch);
  }
  await until(() => meta.hanging > 0, "a request to Meta in flight");
  await tally.kill();

  const inFlight = meta.requests.flatMap((r) => idsIn(r.raw));
  expect(inFlight.length).toBeGreaterThan(0);
  meta.up();
  meta.releaseHangs();

  tally = await tally.restart();
  const ids = events.map((e) => e.event_id as string);
  await until(() => ids.every((id) => meta.countOf(id) >= 1), "every acknowledged event at Meta", 60_000);

  for (const id of ids) expect(meta.countOf(id)).toBe(1);
  // Every id Meta ever saw, in flight before the crash or after, is one of ours: re-sends reuse it.
  const seen = new Set(meta.requests.flatMap((r) => idsIn(r.raw)));
  expect([...seen].sort()).toEqual([...ids].sort());
  for (const id of inFlight) expect(meta.countOf(id)).toBe(1);

  const api = client(tally.url, ws.secret_key);
  const ds = await settled(api, dest, ids.length, 30_000);
  expect(ds.every((d) => d.status === "delivered")).toBe(true);
  expect(new Set(ds.map((d) => d.event_id))).toEqual(new Set(ids));
}, 120_000);
