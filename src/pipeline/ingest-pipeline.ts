/**
 * The ingest pipeline, in order. HTTP routes call `ingest`; nothing here knows about HTTP.
 *
 *   validate → normalize → (link lookup) → commit → publish
 *                                            │
 *            dedup (or supersede) → identify → attribute → persist (+ outbox rows routed from
 *            the destinations in the database, rollups)  (commit/commit-events.ts, run by the
 *                                                          store in one transaction)
 *
 * - validate before normalize: nothing is derived from an event that will be refused.
 * - normalize before dedup: dedup keys on the cleaned ids, identity on the hashed email/phone.
 * - routing inside the commit: outbox rows are written in the same transaction as the event,
 *   from the destinations that transaction reads, so an acknowledged event is never lost to
 *   forwarding, whichever node created the destination a moment before.
 * - publish after the commit resolves and after the response is on its way (setImmediate):
 *   the live feed never shows what is not durable, and never delays the acknowledgement.
 */
import type { Bus, TestEventMessage } from "../bus.js";
import type { CommitItem, Store } from "../storage/storage.js";
import type { ConversionAction, Workspace } from "../domain/workspace.js";
import type { Cipher } from "../security/cipher.js";
import type { LatencyRecorder } from "../monitoring/latency-recorder.js";
import type { CommitOutcome, EventSource, NormalizedEvent } from "../domain/event.js";
import { validateEvent } from "./steps/validate.js";
import { normalizeEvent } from "./steps/normalize.js";
import { RollupAccumulator, type RollupDelta } from "../monitoring/rollups.js";
import { maskReceived } from "./mask.js";
import type { LinkResolver } from "./link-resolver.js";
import type { Quality } from "../quality/flags.js";
import type { QualityEdge } from "../quality/input.js";

export interface IngestDeps {
  store: Store;
  bus: Bus;
  cipher: Cipher;
  latency: LatencyRecorder;
  links: LinkResolver;
  /** Traffic quality's edge: the address key, datacenter bit and bot check (absent: not judged). */
  quality?: QualityEdge;
  limits: { maxEventAgeDays: number; maxFutureMinutes: number; ipRetentionDays: number };
  now?: () => number;
  /** Told how many identifiers of a request's accepted events the identity merge limits kept apart. */
  onLinksRefused?: (n: number) => void;
}

export interface IngestRequest {
  workspace: Workspace;
  actions: ReadonlyMap<string, ConversionAction>;
  events: unknown[];
  testEventCode: string | null;
  /** `server`: /v1/events (secret key); `browser`, `pixel`: /t/collect, /t/p.gif (public key). */
  source: EventSource;
  requestIp: string | null;
  requestUserAgent: string | null;
}

export type EventResult =
  | {
      index: number;
      status: "accepted" | "duplicate";
      id: string;
      warnings?: string[];
      quality?: Quality;
      match_quality?: NormalizedEvent["matchQuality"];
    }
  | { index: number; status: "rejected"; error: { code: string; message: string; field?: string } };

export interface IngestResponse {
  received: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  results: EventResult[];
}

export interface IngestPipeline {
  ingest(req: IngestRequest): Promise<IngestResponse>;
}

export function createIngestPipeline(deps: IngestDeps): IngestPipeline {
  const now = deps.now ?? Date.now;

  async function ingest(req: IngestRequest): Promise<IngestResponse> {
    const receivedAt = now();
    const ws = req.workspace;
    const isTest = req.testEventCode !== null;
    const results: EventResult[] = new Array<EventResult>(req.events.length);
    const items: CommitItem[] = [];
    const itemIndex: number[] = [];
    const rollups = new RollupAccumulator();
    const testMessages: TestEventMessage[] = [];

    const vctx = {
      actions: req.actions,
      receivedAt,
      maxAgeDays: deps.limits.maxEventAgeDays,
      maxFutureMinutes: deps.limits.maxFutureMinutes,
      eventTimeOptional: req.source !== "server",
    };
    const nctx = {
      workspaceId: ws.id,
      defaultCountry: ws.defaultCountry,
      receivedAt,
      testEventCode: req.testEventCode,
      cipher: deps.cipher,
      keepIp: deps.limits.ipRetentionDays > 0,
      requestIp: req.requestIp,
      requestUserAgent: req.requestUserAgent,
    };

    for (let i = 0; i < req.events.length; i++) {
      const raw = req.events[i];
      const v = validateEvent(raw, vctx);
      if (!v.ok) {
        const error = { code: v.code, message: v.message, ...(v.field ? { field: v.field } : {}) };
        results[i] = { index: i, status: "rejected", error };
        if (!isTest) rollups.add(ws.id, receivedAt, { received: 1, rejected: 1 });
        testMessages.push(testMessage(ws.id, receivedAt, "rejected", null, req.testEventCode, raw, error));
        continue;
      }
      const ev = normalizeEvent(v.value, nctx);
      // Judged while the address is still plain: only its key and datacenter bit go on.
      if (deps.quality && !isTest && (v.value.action !== null || ev.touch !== null)) {
        const user = v.value.user;
        const input = deps.quality(
          ws.quality,
          req.requestIp ?? user.client_ip_address ?? null,
          req.requestUserAgent ?? user.client_user_agent,
          user.webdriver === true,
        );
        if (v.value.action !== null) ev.qualityInput = input;
        if (ev.touch) ev.touch.quality = input;
      }
      if (
        ev.touch?.clickId?.startsWith("click_id:") &&
        !(await deps.links.fillTouch(ws.id, ev.touch, ev.user.click_id ?? ""))
      ) {
        ev.touch = null;
      }
      const action = v.value.action;
      items.push({
        event: ev,
        windows: action
          ? { clickWindowDays: action.clickWindowDays, viewWindowDays: action.viewWindowDays }
          : null,
        source: req.source,
      });
      itemIndex.push(i);
      if (!isTest) rollups.add(ws.id, receivedAt, { received: 1 });
    }

    const deltas: RollupDelta[] = rollups.drain();
    let outcomes: CommitOutcome[] = [];
    if (items.length > 0) outcomes = await deps.store.commitEvents(items, deltas);
    else if (deltas.length > 0) await deps.store.addRollups(deltas);

    let accepted = 0;
    let duplicates = 0;
    let linksRefused = 0;
    outcomes.forEach((o, k) => {
      const i = itemIndex[k]!;
      const ev = items[k]!.event;
      if (o.status === "accepted") accepted++;
      else duplicates++;
      linksRefused += o.linksRefused ?? 0;
      results[i] = {
        index: i,
        status: o.status,
        id: o.id,
        ...(ev.warnings.length ? { warnings: ev.warnings } : {}),
        ...(o.quality ? { quality: o.quality } : {}),
        ...(o.status === "accepted" && ev.matchQuality ? { match_quality: ev.matchQuality } : {}),
      };
      if (isTest)
        testMessages.push(
          testMessage(ws.id, receivedAt, o.status, o.id, req.testEventCode, req.events[i], null, ev),
        );
    });

    if (linksRefused > 0) deps.onLinksRefused?.(linksRefused);
    setImmediate(() => publish(items, outcomes, testMessages));
    return {
      received: req.events.length,
      accepted,
      duplicates,
      rejected: req.events.length - accepted - duplicates,
      results,
    };
  }

  function publish(items: CommitItem[], outcomes: CommitOutcome[], tests: TestEventMessage[]): void {
    outcomes.forEach((o, k) => {
      const item = items[k]!;
      const ev = item.event;
      if (ev.testEventCode !== null || !item.windows) return;
      const s = o.superseded;
      if (s) {
        // The conversion the feed already shows now has the server's data: same id, no new count.
        deps.bus.publish({
          type: "conversion",
          workspaceId: ev.workspaceId,
          id: o.id,
          eventName: s.eventName,
          eventTime: s.eventTime,
          receivedAt: s.receivedAt,
          value: s.value,
          currency: s.currency,
          eventId: s.eventId,
          attribution: s.attribution,
          superseded: { value: s.previousValue, currency: s.previousCurrency },
        });
        return;
      }
      if (o.status !== "accepted") return;
      deps.bus.publish({
        type: "conversion",
        workspaceId: ev.workspaceId,
        id: o.id,
        eventName: ev.eventName,
        eventTime: ev.eventTime,
        receivedAt: ev.receivedAt,
        value: ev.value,
        currency: ev.currency,
        eventId: ev.eventId,
        attribution: o.attribution ?? null,
        quality: o.quality ?? null,
        excluded:
          ev.qualityInput?.settings.flaggedConversions === "exclude" && (o.quality?.flags.length ?? 0) > 0,
      });
      deps.latency.record(ev.workspaceId, ev.eventTime, ev.receivedAt, now());
    });
    for (const t of tests) deps.bus.publish(t);
  }

  return { ingest };
}

function testMessage(
  workspaceId: string,
  receivedAt: number,
  status: TestEventMessage["status"],
  id: string | null,
  testEventCode: string | null,
  raw: unknown,
  error: TestEventMessage["error"],
  ev?: NormalizedEvent,
): TestEventMessage {
  const name =
    ev?.eventName ??
    (typeof raw === "object" && raw !== null ? (raw as { event_name?: unknown }).event_name : null);
  return {
    type: "test_event",
    workspaceId,
    receivedAt,
    status,
    id,
    testEventCode,
    eventName: typeof name === "string" ? name.slice(0, 64) : null,
    received: maskReceived(raw),
    error,
    ...(status === "accepted" && ev?.matchQuality ? { matchQuality: ev.matchQuality } : {}),
  };
}
