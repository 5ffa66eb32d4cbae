/**
 * The commit stage of the ingest pipeline: dedup → identify → attribute → persist, run by a
 * store backend inside ONE transaction for a whole group of batches. Shared by SQLite and
 * PostgreSQL so both count, link and attribute identically.
 *
 * Ordering constraints:
 * - dedup first: a duplicate must not link identities, record touches, be attributed or
 *   forwarded; and it keys on ids that normalize already cleaned.
 * - identify before attribute: a conversion's touches are those of every identifier linked
 *   to it, including the links this very event brings.
 * - the event's own touch (a PageView with a click id) is recorded before attribution, so
 *   a conversion later in the same batch already sees it.
 * - everything in one transaction, so a crash leaves either all of an event or none of it.
 * - outbox rows follow the destinations the transaction reads from the database, never a
 *   node's cache: a destination created on any node before the event commits gets its row.
 * - a server copy that duplicates a browser (or pixel) copy supersedes it inside the same
 *   dedup decision: the server is authoritative, and the first copy from a public key may be
 *   forged. It still counts once; the value, the credits' value, the rollups and the outbox
 *   follow the server's copy, the attribution stays as computed at first arrival.
 */
import { attributeAll, MODELS, type ModelName, type Windows } from "../attribution/index.js";
import { routeEvent } from "../domain/destination-route.js";
import type { CommitOutcome, NormalizedEvent, SupersededEvent, TouchInput } from "../domain/event.js";
import { DAY_MS, MINUTE_MS } from "../domain/time.js";
import { mergeHistograms } from "../monitoring/histogram.js";
import type {
  CommitItem,
  CommitTx,
  CreditRow,
  RollupDelta,
  StoredCopy,
  StoredTouch,
  TouchOutcome,
} from "../storage/storage.js";

/** Most touches of one person read for one conversion (the most recent ones). */
export const ATTRIBUTION_TOUCH_LIMIT = 200;

export interface DedupKeys {
  lookup: string[];
  claim: string[];
}

/**
 * Dedup keys per API.md: same event name and equal `event_id`s, or equal `order_id`s when at
 * least one of the two has no `event_id` (two different `event_id`s are never duplicates).
 * `o|` marks an order id claimed by an event without event_id, `x|` one claimed by an event
 * with one. Test events live in their own namespace so they never shadow real ones.
 */
export function dedupKeys(
  ev: Pick<NormalizedEvent, "eventName" | "eventId" | "orderId" | "testEventCode">,
): DedupKeys {
  const ns = ev.testEventCode === null ? "" : "t";
  const name = ev.eventName;
  if (ev.eventId !== null) {
    const e = `${ns}e|${name}|${ev.eventId}`;
    if (ev.orderId === null) return { lookup: [e], claim: [e] };
    return { lookup: [e, `${ns}o|${name}|${ev.orderId}`], claim: [e, `${ns}x|${name}|${ev.orderId}`] };
  }
  if (ev.orderId !== null) {
    const o = `${ns}o|${name}|${ev.orderId}`;
    return { lookup: [o, `${ns}x|${name}|${ev.orderId}`], claim: [o] };
  }
  return { lookup: [], claim: [] };
}

export function minuteOf(ms: number): number {
  return ms - (ms % MINUTE_MS);
}

/** Accumulates rollup deltas in memory so a transaction writes each (workspace, minute) once. */
export class RollupAccumulator {
  private readonly map = new Map<string, RollupDelta>();

  /** Adds counters and histograms (bucket by bucket) into the workspace's minute. */
  add(workspaceId: string, at: number, delta: Omit<RollupDelta, "workspaceId" | "minute">): void {
    const minute = minuteOf(at);
    const key = `${workspaceId}|${minute}`;
    let d = this.map.get(key);
    if (!d) {
      d = { workspaceId, minute };
      this.map.set(key, d);
    }
    const acc = d as unknown as Record<string, number | number[] | undefined>;
    for (const [k, v] of Object.entries(delta) as [string, number | number[] | undefined][]) {
      if (typeof v === "number") acc[k] = ((acc[k] as number | undefined) ?? 0) + v;
      else if (Array.isArray(v)) acc[k] = mergeHistograms((acc[k] as number[] | undefined) ?? [], v);
    }
  }

  addAll(deltas: RollupDelta[]): void {
    for (const { workspaceId, minute, ...rest } of deltas) this.add(workspaceId, minute, rest);
  }

  drain(): RollupDelta[] {
    const out = [...this.map.values()];
    this.map.clear();
    return out;
  }
}

export interface CommitOptions {
  dedupWindowMs: number;
  /** The workspace currency: only values in it are summed into rollups. */
  currencyOf: (workspaceId: string) => string | null;
}

/** Runs dedup → identify → attribute → persist for each item, in order. */
export async function commitEventItems(
  tx: CommitTx,
  items: CommitItem[],
  rollups: RollupAccumulator,
  opts: CommitOptions,
): Promise<CommitOutcome[]> {
  const outcomes: CommitOutcome[] = [];
  for (const item of items) {
    const ev = item.event;
    const ws = ev.workspaceId;
    const isTest = ev.testEventCode !== null;
    const since = ev.receivedAt - opts.dedupWindowMs;

    // dedup
    const keys = dedupKeys(ev);
    if (keys.lookup.length > 0) {
      const original = await tx.findDedup(ws, keys.lookup, since);
      if (original !== null) {
        // The duplicate's own keys point at the original too: a later copy that matches only
        // this duplicate (say by its event_id) is a duplicate of the same order.
        await tx.claimDedup(ws, keys.claim, original, ev.receivedAt, since);
        const copy = item.source === "server" ? await tx.storedCopy(ws, original) : null;
        const superseded =
          copy !== null && supersedes(item.source, copy)
            ? await supersede(tx, item, original, copy, rollups, opts)
            : undefined;
        await tx.recordArrival({
          workspaceId: ws,
          eventRef: original,
          source: item.source,
          receivedAt: ev.receivedAt,
          eventId: ev.eventId,
          status: superseded ? "superseding" : "duplicate",
        });
        outcomes.push(
          superseded
            ? { status: "duplicate", id: original, superseded }
            : { status: "duplicate", id: original },
        );
        if (!isTest) rollups.add(ws, ev.receivedAt, { duplicates: 1 });
        continue;
      }
      await tx.claimDedup(ws, keys.claim, ev.id, ev.receivedAt, since);
    }

    // identify: test events never touch the identity graph or attribution
    const person = isTest ? null : await tx.linkIdentifiers(ws, ev.identifiers);

    if (ev.touch && !isTest) {
      const t = await tx.insertTouch(ws, ev.touch, person, ev.receivedAt);
      if (t.status === "accepted") rollups.add(ws, ev.receivedAt, { clicks: 1 });
    }

    // attribute
    let credits: Record<ModelName, CreditRow[]> | null = null;
    if (item.windows && !isTest) {
      credits = emptyCredits();
      if (person !== null) {
        const touches = await tx.touchesOf(
          ws,
          person,
          lookbackStart(ev.eventTime, item.windows),
          ev.eventTime,
          ATTRIBUTION_TOUCH_LIMIT,
        );
        if (touches.length > 0) credits = creditRowsOf(touches, ev.eventTime, item.windows);
      }
    }

    // persist (event, attribution, outbox rows)
    await tx.insertEvent(ev, credits, item.source);
    if (item.windows) {
      const destinations = routeEvent(await tx.destinationRoutes(ws), ev.eventName, isTest);
      if (destinations.length > 0) await tx.insertDeliveries(ws, ev.id, destinations, ev.receivedAt);
    }

    outcomes.push(
      credits ? { status: "accepted", id: ev.id, attribution: credits } : { status: "accepted", id: ev.id },
    );
    if (!isTest) {
      rollups.add(ws, ev.receivedAt, {
        accepted: 1,
        ...(item.windows ? { conversions: 1, value: rollupValue(ev.value, ev.currency, ws, opts) } : {}),
      });
    }
  }
  return outcomes;
}

/** What a conversion adds to the rollups' value: only values in the workspace currency. */
function rollupValue(value: number | null, currency: string | null, ws: string, opts: CommitOptions): number {
  return value !== null && (currency === null || currency === opts.currencyOf(ws)) ? value : 0;
}

/**
 * API.md: the server's copy (secret key) supersedes a copy that came first from the browser
 * (public key); a browser copy never supersedes, and a copy already superseded (or first
 * sent by the server) is not superseded again. Events stored before sources were recorded
 * are left as they are.
 */
export function supersedes(
  source: CommitItem["source"],
  stored: Pick<StoredCopy, "source" | "supersededAt">,
): boolean {
  return (
    source === "server" &&
    (stored.source === "browser" || stored.source === "pixel") &&
    stored.supersededAt === null
  );
}

/**
 * Replaces the stored event's data with the server copy's: its identifiers join the person
 * (the server often knows the email the browser lacked), the credits keep their shares with
 * the new value, the rollups move the value (the conversion is still counted once, in the
 * minute it first arrived), and each destination that already sent the browser's copy gets
 * the event again with the same dedup id; waiting deliveries simply send the current row.
 */
async function supersede(
  tx: CommitTx,
  item: CommitItem,
  ref: string,
  stored: StoredCopy,
  rollups: RollupAccumulator,
  opts: CommitOptions,
): Promise<SupersededEvent> {
  const ev = item.event;
  const ws = ev.workspaceId;
  const isTest = ev.testEventCode !== null;
  const identifiers = [...stored.identifiers];
  const seen = new Set(identifiers.map((i) => `${i.kind}:${i.value}`));
  for (const i of ev.identifiers) if (!seen.has(`${i.kind}:${i.value}`)) identifiers.push(i);
  if (!isTest) await tx.linkIdentifiers(ws, identifiers);
  const attribution = await tx.supersedeEvent(ref, ev, identifiers, ev.receivedAt);
  if (item.windows) {
    await tx.redeliver(ws, ref, ev.receivedAt);
    if (!isTest) {
      const delta =
        rollupValue(ev.value, ev.currency, ws, opts) - rollupValue(stored.value, stored.currency, ws, opts);
      if (delta !== 0) rollups.add(ws, stored.receivedAt, { value: delta });
    }
  }
  return {
    eventName: ev.eventName,
    eventTime: stored.eventTime,
    receivedAt: stored.receivedAt,
    eventId: stored.eventId,
    value: ev.value,
    currency: ev.currency,
    previousValue: stored.value,
    previousCurrency: stored.currency,
    attribution,
  };
}

export async function commitTouchItems(
  tx: CommitTx,
  workspaceId: string,
  touches: TouchInput[],
  receivedAt: number,
  rollups: RollupAccumulator,
): Promise<TouchOutcome[]> {
  const out: TouchOutcome[] = [];
  for (const touch of touches) {
    const person = await tx.linkIdentifiers(workspaceId, touch.identifiers);
    const res = await tx.insertTouch(workspaceId, touch, person, receivedAt);
    if (res.status === "accepted")
      rollups.add(workspaceId, receivedAt, touch.kind === "click" ? { clicks: 1 } : { impressions: 1 });
    out.push(res);
  }
  return out;
}

/** The oldest touch time any of the action's windows can reach back to. */
export function lookbackStart(eventTime: number, windows: Windows): number {
  return eventTime - Math.max(windows.clickWindowDays, windows.viewWindowDays) * DAY_MS;
}

/**
 * All five models' credits for a conversion, as stored: what ingest computes and what
 * `reattribute` recomputes (both backends), from the person's touches.
 */
export function creditRowsOf(
  touches: readonly StoredTouch[],
  eventTime: number,
  windows: Windows,
): Record<ModelName, CreditRow[]> {
  const all = attributeAll(touches, eventTime, windows);
  const out = emptyCredits();
  for (const m of MODELS) {
    out[m] = all[m].map((c) => ({
      platform: c.touch.platform,
      campaign: c.touch.campaign,
      ad: c.touch.ad,
      time: c.touch.time,
      credit: c.credit,
    }));
  }
  return out;
}

export function emptyCredits(): Record<ModelName, CreditRow[]> {
  return { last_click: [], first_click: [], linear: [], time_decay: [], position_based: [] };
}
