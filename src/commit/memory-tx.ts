/**
 * The commit seam over Maps: a real implementation of `CommitTx` and `ReattributeTx`, with the
 * same rules as the databases (keys kept while live, union by size, a touch once per touch_id
 * and click id, routing reads, redelivery targets), that keeps everything in memory. The
 * steps' tests run on it beside SQLite and PostgreSQL (steps.contract.test.ts), so a step's
 * rule can be read and tried on plain values.
 *
 * @example
 * const tx = new MemoryTx();
 * const out = await commitEvents(tx, [{ event, windows: null, source: "server" }], ctx);
 */
import { routeFromRow, type DestinationRoute } from "../domain/destination-route.js";
import type { EventSource, Identifier, NormalizedEvent, TouchInput } from "../domain/event.js";
import { newId } from "../domain/ids.js";
import { planLinks, rankedIdents } from "../domain/identity-limits.js";
import { MemoryQualityCounters } from "../quality/memory-counters.js";
import type { CounterHit } from "../quality/counters.js";
import type { Quality } from "../quality/flags.js";
import { emptyCredits, isAttributed } from "./credits.js";
import type {
  ArrivalRow,
  CommitTx,
  Credits,
  Linked,
  ReattributeTx,
  StoredConversion,
  StoredCopy,
  StoredTouch,
  TouchOutcome,
} from "./tx.js";

interface MemoryTouch extends StoredTouch {
  workspaceId: string;
  touchId: string | null;
  clickId: string | null;
  person: string | null;
}

export interface MemoryEvent {
  event: NormalizedEvent;
  source: EventSource;
  credits: Credits | null;
  attributed: boolean;
  supersededAt: number | null;
  /** The identifiers it was linked by (the superseding copy's merged list, once superseded). */
  identifiers: Identifier[];
  /** Its person was erased (the stored payload's `e` flag). */
  erased: boolean;
}

export interface MemoryDelivery {
  id: string;
  workspaceId: string;
  destinationId: string;
  eventRef: string;
  status: "pending" | "delivered" | "failed" | "dead";
  leaseUntil: number;
}

const k = (ws: string, x: string): string => `${ws}|${x}`;

export class MemoryTx implements CommitTx, ReattributeTx {
  readonly dedupKeys = new Map<string, { eventRef: string; receivedAt: number }>();
  /** workspace|kind:value → person */
  readonly identities = new Map<string, string>();
  readonly touches: MemoryTouch[] = [];
  readonly events = new Map<string, MemoryEvent>();
  readonly deliveries: MemoryDelivery[] = [];
  readonly arrivals: ArrivalRow[] = [];
  /** workspace|experiment|person → the first exposure. */
  readonly exposures = new Map<string, { variant: string; at: number }>();
  /** event id → the person of a non-test conversion. */
  readonly conversionPersons = new Map<string, string>();
  /** workspace → its live destinations, in creation order. */
  readonly destinations = new Map<string, DestinationRoute[]>();
  /** The quality counters (the same sliding windows as the databases' rows). */
  readonly counters = new MemoryQualityCounters();
  /** touch id → the decision of a flagged click. */
  readonly touchQuality = new Map<string, Quality>();
  private seq = 0;

  qualityHit(workspaceId: string, hits: readonly CounterHit[], at: number): number[] {
    return this.counters.hit(workspaceId, hits, at);
  }

  flagTouch(_workspaceId: string, touchRef: string, quality: Quality, _addressKey: string | null): void {
    this.touchQuality.set(touchRef, quality);
  }

  /** Adds a destination as the database would hold it (tests). */
  addDestination(workspaceId: string, type: string, events: string[] | null): string {
    const id = newId("dst");
    const list = this.destinations.get(workspaceId) ?? [];
    list.push(routeFromRow(id, type, events));
    this.destinations.set(workspaceId, list);
    return id;
  }

  findDedup(workspaceId: string, keys: string[], since: number): string | null {
    for (const key of keys) {
      const row = this.dedupKeys.get(k(workspaceId, key));
      if (row && row.receivedAt >= since) return row.eventRef;
    }
    return null;
  }

  claimDedup(workspaceId: string, keys: string[], eventRef: string, receivedAt: number, since: number): void {
    for (const key of keys) {
      const row = this.dedupKeys.get(k(workspaceId, key));
      if (row && row.receivedAt >= since) continue;
      this.dedupKeys.set(k(workspaceId, key), { eventRef, receivedAt });
    }
  }

  /** Union by size: the larger group keeps its person id (ties: the smaller id), the others follow. */
  linkIdentifiers(workspaceId: string, identifiers: Identifier[]): Linked {
    if (identifiers.length === 0) return { person: null, refused: 0 };
    const mine = (p: string) =>
      [...this.identities]
        .filter(([key, x]) => x === p && key.startsWith(`${workspaceId}|`))
        .map(([key]) => key);
    const seen = rankedIdents(identifiers).map(({ kind, ident }) => ({
      kind,
      ident,
      person: this.identities.get(k(workspaceId, ident)) ?? null,
    }));
    const plan = planLinks(seen, (p) => {
      const keys = mine(p);
      const externals = keys
        .map((key) => key.slice(workspaceId.length + 1))
        .filter((ident) => ident.startsWith("external_id:"));
      return { n: keys.length, externals };
    });
    let person: string;
    if (plan.persons.length === 0) person = newId("p");
    else if (plan.persons.length === 1) person = plan.persons[0]!;
    else {
      const sized = plan.persons.map((p) => ({ p, n: mine(p).length }));
      sized.sort((a, b) => b.n - a.n || (a.p < b.p ? -1 : 1));
      person = sized[0]!.p;
      const losers = new Set(sized.slice(1).map((s) => s.p));
      for (const [key, p] of this.identities)
        if (losers.has(p) && key.startsWith(`${workspaceId}|`)) this.identities.set(key, person);
      for (const t of this.touches)
        if (t.workspaceId === workspaceId && t.person !== null && losers.has(t.person)) t.person = person;
      this.relabelExperiments(workspaceId, losers, person);
    }
    for (const ident of plan.add) this.identities.set(k(workspaceId, ident), person);
    return { person, refused: plan.refused };
  }

  touchesOf(workspaceId: string, person: string, from: number, to: number, limit: number): StoredTouch[] {
    return this.touches
      .filter((t) => t.workspaceId === workspaceId && t.person === person && t.time >= from && t.time <= to)
      .sort((a, b) => b.time - a.time || b.seq - a.seq)
      .slice(0, limit)
      .map(({ id, kind, time, seq, platform, campaign, ad }) => ({
        id,
        kind,
        time,
        seq,
        platform,
        campaign,
        ad,
      }));
  }

  insertTouch(
    workspaceId: string,
    touch: TouchInput,
    person: string | null,
    _receivedAt: number,
  ): TouchOutcome {
    const mine = this.touches.filter((t) => t.workspaceId === workspaceId);
    const byId = touch.touchId === null ? undefined : mine.find((t) => t.touchId === touch.touchId);
    if (byId) return { status: "duplicate", id: byId.id };
    const byClick = touch.clickId === null ? undefined : mine.find((t) => t.clickId === touch.clickId);
    if (byClick) {
      // A click recorded by /c/{id} before the landing page knew the visitor: adopt it.
      if (byClick.person === null && person !== null) byClick.person = person;
      return { status: "duplicate", id: byClick.id };
    }
    const id = newId("tch");
    this.touches.push({
      id,
      workspaceId,
      kind: touch.kind,
      time: touch.time,
      seq: ++this.seq,
      platform: touch.platform,
      campaign: touch.campaign,
      ad: touch.ad,
      touchId: touch.touchId,
      clickId: touch.clickId,
      person,
    });
    return { status: "accepted", id };
  }

  recordExposure(workspaceId: string, experiment: string, variant: string, person: string, at: number): void {
    const key = `${workspaceId}|${experiment}|${person}`;
    const seen = this.exposures.get(key);
    if (!seen || at < seen.at) this.exposures.set(key, { variant, at });
  }

  /** Moves the losers' exposures (the earlier per experiment wins) and conversions to `person`. */
  private relabelExperiments(workspaceId: string, losers: ReadonlySet<string>, person: string): void {
    for (const [key, e] of [...this.exposures]) {
      const [ws, experiment, p] = key.split("|") as [string, string, string];
      if (ws !== workspaceId || !losers.has(p)) continue;
      this.exposures.delete(key);
      this.recordExposure(ws, experiment, e.variant, person, e.at);
    }
    for (const [id, p] of this.conversionPersons)
      if (losers.has(p) && this.events.get(id)?.event.workspaceId === workspaceId)
        this.conversionPersons.set(id, person);
  }

  insertEvent(
    event: NormalizedEvent,
    credits: Credits | null,
    source: EventSource,
    person: string | null,
  ): void {
    if (person !== null && event.isConversion && event.testEventCode === null)
      this.conversionPersons.set(event.id, person);
    this.events.set(event.id, {
      event,
      source,
      credits,
      attributed: isAttributed(credits),
      supersededAt: null,
      identifiers: event.identifiers,
      erased: false,
    });
  }

  destinationRoutes(workspaceId: string): DestinationRoute[] {
    return this.destinations.get(workspaceId) ?? [];
  }

  storedCopy(workspaceId: string, eventRef: string): StoredCopy | null {
    const e = this.events.get(eventRef);
    if (!e || e.event.workspaceId !== workspaceId) return null;
    return {
      source: e.source,
      supersededAt: e.supersededAt,
      eventTime: e.event.eventTime,
      receivedAt: e.event.receivedAt,
      eventId: e.event.eventId,
      value: e.event.value,
      currency: e.event.currency,
      identifiers: e.identifiers,
    };
  }

  supersedeEvent(
    eventRef: string,
    copy: NormalizedEvent,
    identifiers: Identifier[],
    supersededAt: number,
  ): Credits {
    const e = this.events.get(eventRef);
    if (!e) return emptyCredits();
    const was = e.event;
    e.event = {
      ...was,
      value: copy.value,
      currency: copy.currency,
      user: copy.user,
      customData: copy.customData,
      consent: copy.consent,
      actionSource: copy.actionSource,
      eventSourceUrl: copy.eventSourceUrl,
      orderId: was.orderId ?? copy.orderId,
    };
    e.identifiers = identifiers;
    e.supersededAt = supersededAt;
    return e.credits ?? emptyCredits();
  }

  redeliver(workspaceId: string, eventRef: string, now: number): string[] {
    const live = new Set((this.destinations.get(workspaceId) ?? []).map((d) => d.id));
    const byDestination = new Map<string, MemoryDelivery[]>();
    for (const d of this.deliveries) {
      if (d.eventRef !== eventRef || !live.has(d.destinationId)) continue;
      byDestination.set(d.destinationId, [...(byDestination.get(d.destinationId) ?? []), d]);
    }
    const ids: string[] = [];
    for (const [id, list] of byDestination) {
      const sentOrSending = list.some(
        (d) => d.status === "delivered" || (d.status === "pending" && d.leaseUntil > now),
      );
      const waiting = list.some((d) => d.status === "pending" && d.leaseUntil <= now);
      if (sentOrSending && !waiting) ids.push(id);
    }
    this.insertDeliveries(workspaceId, eventRef, ids, now);
    return ids;
  }

  recordArrival(arrival: ArrivalRow): void {
    this.arrivals.push(arrival);
  }

  insertDeliveries(workspaceId: string, eventRef: string, destinationIds: string[], _now: number): void {
    for (const destinationId of destinationIds)
      this.deliveries.push({
        id: newId("dlv"),
        workspaceId,
        destinationId,
        eventRef,
        status: "pending",
        leaseUntil: 0,
      });
  }

  // ---- ReattributeTx ----------------------------------------------------------------------

  conversionsIn(workspaceId: string | null, from: number, to: number): StoredConversion[] {
    const out: StoredConversion[] = [];
    for (const e of this.events.values()) {
      const ev = e.event;
      if (!ev.isConversion || ev.testEventCode !== null || ev.eventTime < from || ev.eventTime >= to)
        continue;
      if (workspaceId !== null && ev.workspaceId !== workspaceId) continue;
      out.push({
        id: ev.id,
        workspaceId: ev.workspaceId,
        eventName: ev.eventName,
        eventTime: ev.eventTime,
        value: ev.value,
        currency: ev.currency,
        identifiers: e.identifiers,
        erased: e.erased,
      });
    }
    return out;
  }

  personOf(workspaceId: string, identifiers: Identifier[]): string | null {
    for (const i of identifiers) {
      const p = this.identities.get(k(workspaceId, `${i.kind}:${i.value}`));
      if (p) return p;
    }
    return null;
  }

  replaceCredits(conversion: StoredConversion, credits: Credits): void {
    const e = this.events.get(conversion.id);
    if (!e) return;
    e.credits = credits;
    e.attributed = isAttributed(credits);
  }
}
