/**
 * The writer puts a request's commit ahead of the outbox's claims and settlements queued with
 * it (writer-queue.ts), on a real store: a claim sent in the same turn as a commit, and before
 * it, runs after it — so it finds the delivery the commit routed. In the commit's group it
 * would have run first, holding the commit's answer for as long as the claim took.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../domain/ids.js";
import { DAY_MS } from "../../domain/time.js";
import { standardActions } from "../../domain/workspace.js";
import { SQLITE_WRITER_ENTRY } from "../../open-store.js";
import { normalizedEvent } from "../../../test/helpers/events.js";
import { SqliteStore } from "./sqlite-store.js";

const NOW = Date.now();
let dir: string;
let store: SqliteStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tally-writer-priority-"));
  store = new SqliteStore({
    path: join(dir, "tally.db"),
    synchronous: "normal",
    dedupWindowMs: 7 * DAY_MS,
    maxGroupWeight: 5000,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("runs a request's commit before the outbox claim queued ahead of it in the same turn", async () => {
  const ws = await store.createWorkspace(
    { name: "Shop", currency: "USD", timezone: "UTC" },
    { publicKey: `pk_${newId("k")}`, secretKeyHash: newId("h") },
    standardActions(),
  );
  const d = await store.createDestination({
    id: newId("dst"),
    workspaceId: ws.id,
    type: "webhook",
    name: "hook",
    events: null,
    configEnc: "enc",
    createdAt: NOW,
  });
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
