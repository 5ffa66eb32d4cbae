/**
 * Background work on a real store does not hold a request's commit. The writer puts a commit
 * ahead of the outbox claim queued with it (writer-queue.ts): a claim sent in the same turn as a
 * commit, and before it, runs after it — so it finds the delivery the commit routed; in the
 * commit's group it would have run first, holding the commit's answer for as long as the claim
 * took. The purge goes slice by slice: a commit sent while it runs is answered before it ends
 * (between two slices; in one statement the purge was one operation the commit waited for).
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DAY_MS } from "../../domain/time.js";
import type { NormalizedEvent } from "../../domain/event.js";
import type { CommitItem, Store } from "../storage.js";
import { normalizedEvent } from "../../../test/helpers/events.js";
import { sqliteBackend, webhookDestination, workspace, type Backend } from "../../../test/helpers/stores.js";

const NOW = Date.now();
let b: Backend;
let store: Store;

beforeAll(async () => {
  b = await sqliteBackend({ purgeSliceRows: 3 });
  store = b.store;
});

afterAll(async () => {
  await b?.cleanup();
});

it("runs a request's commit before the outbox claim queued ahead of it in the same turn", async () => {
  const ws = await workspace(store);
  const d = await webhookDestination(store, ws.id);
  const ev = normalizedEvent(ws.id, NOW, { eventId: "same-turn", value: 5 });
  // Both calls in this turn: the store posts them to the writer as one list, claim first.
  const claimed = store.claimDeliveries(ws.id, d.id, 10, NOW + 1, 60_000, "W");
  const committed = store.commitEvents(
    [{ event: ev, windows: { clickWindowDays: 30, viewWindowDays: 1 }, source: "server" }],
    [],
  );
  expect((await committed).map((o) => o.status)).toEqual(["accepted"]);
  const jobs = await claimed;
  expect(jobs.map((j) => (j.kind === "event" ? j.event.eventId : j.kind))).toEqual(["same-turn"]);
});

it("purges slice by slice: a commit sent meanwhile is answered first, and nothing expired is left", async () => {
  const ws = await workspace(store);
  const OLD = NOW - 30 * DAY_MS;
  const item = (ev: NormalizedEvent): CommitItem => ({ event: ev, windows: null, source: "server" });
  // Ten dedup keys past the window and ten sealed IPs past retention (slices of 3: four each),
  // and one fresh event of each.
  const old = Array.from({ length: 10 }, (_, i) =>
    normalizedEvent(ws.id, OLD, { eventId: `old-${i}`, user: { client_ip_enc: `v1.old-${i}` } }),
  );
  const fresh = normalizedEvent(ws.id, NOW, { eventId: "fresh", user: { client_ip_enc: "v1.fresh" } });
  await store.commitEvents([...old, fresh].map(item), []);

  const order: string[] = [];
  const purged = store.purge(NOW, NOW - 7 * DAY_MS, NOW - 7 * DAY_MS).then(() => order.push("purge"));
  await new Promise((r) => setImmediate(r)); // the first slice is on its way to the writer
  const during = store
    .commitEvents([item(normalizedEvent(ws.id, NOW, { eventId: "during" }))], [])
    .then(() => order.push("commit"));
  await Promise.all([purged, during]);
  // In one statement the purge was one operation, and the commit waited for all of it.
  expect(order).toEqual(["commit", "purge"]);

  const db = new Database(b.path, { readonly: true });
  try {
    const keys = db.prepare("SELECT key FROM dedup_keys WHERE workspace_id = ? ORDER BY key").all(ws.id);
    expect(keys.map((k) => (k as { key: string }).key)).toEqual(["e|Purchase|during", "e|Purchase|fresh"]);
    const ips = db
      .prepare("SELECT ip_enc FROM events WHERE workspace_id = ? AND ip_enc IS NOT NULL")
      .all(ws.id);
    expect(ips.map((r) => (r as { ip_enc: string }).ip_enc)).toEqual(["v1.fresh"]);
  } finally {
    db.close();
  }
});
