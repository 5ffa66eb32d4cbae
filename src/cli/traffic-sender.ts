/**
 * Sends what `traffic.ts` planned to a running server: phase by phase (touches, logins,
 * browser copies, server events), each phase in batches per endpoint with a few requests in
 * flight, and counts what the server answered. Browser events go where the tag sends them,
 * `POST /t/collect` with the public key as `text/plain` (the server answers 204 without
 * per-event results); the rest go to the `/v1` endpoints, which answer per item.
 */
import type { ApiClient } from "./api-client.js";
import type { Endpoint, Send, SendKind } from "./traffic.js";

const BATCH: Record<Endpoint, number> = { clicks: 1000, impressions: 1000, events: 500, collect: 500 };

export interface TrafficCounts {
  sent: Record<SendKind, number>;
  /** Conversions sent by the server side, by event name. */
  conversions: Record<string, number>;
  /** Answers of the /v1 endpoints (per item); /t/collect does not say. */
  accepted: number;
  duplicates: number;
  rejected: number;
  reasons: Record<string, number>;
  requests: number;
}

export interface TrafficSenderOptions {
  api: ApiClient;
  /** A client for /t/collect; its key is the public key. */
  browser: ApiClient;
  publicKey: string;
  concurrency?: number;
  /** Most items a second, or null for as fast as the server answers. */
  rate?: number | null;
}

interface BatchAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: ({ status: "accepted" | "duplicate" } | { status: "rejected"; error: { code: string } })[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TrafficSender {
  readonly counts: TrafficCounts = {
    sent: { click: 0, impression: 0, landing: 0, login: 0, conversion: 0, copy: 0, bad: 0 },
    conversions: {},
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    reasons: {},
    requests: 0,
  };
  private readonly started = Date.now();
  private items = 0;

  constructor(private readonly opts: TrafficSenderOptions) {}

  /** Items sent so far. */
  get total(): number {
    return this.items;
  }

  /** Sends every item, phase after phase; resolves when the server has answered them all. */
  async send(sends: readonly Send[]): Promise<void> {
    const phases = new Map<number, Send[]>();
    for (const s of sends) {
      let list = phases.get(s.phase);
      if (!list) phases.set(s.phase, (list = []));
      list.push(s);
    }
    for (const phase of [...phases.keys()].sort((a, b) => a - b)) {
      const batches: Send[][] = [];
      const byEndpoint = new Map<Endpoint, Send[]>();
      for (const s of phases.get(phase)!.sort((a, b) => a.at - b.at)) {
        let list = byEndpoint.get(s.endpoint);
        if (!list) byEndpoint.set(s.endpoint, (list = []));
        list.push(s);
        if (list.length === BATCH[s.endpoint]) {
          batches.push(list);
          byEndpoint.set(s.endpoint, []);
        }
      }
      for (const list of byEndpoint.values()) if (list.length > 0) batches.push(list);
      await this.pool(batches);
    }
  }

  private async pool(batches: Send[][]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await this.sendBatch(batches[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 4, batches.length) }, worker));
  }

  private async sendBatch(batch: Send[]): Promise<void> {
    const endpoint = batch[0]!.endpoint;
    if (this.opts.rate) {
      const due = this.started + (this.items / this.opts.rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    this.items += batch.length;
    this.counts.requests++;
    for (const s of batch) {
      this.counts.sent[s.kind]++;
      if (s.kind === "conversion") {
        const name = String(s.body.event_name);
        this.counts.conversions[name] = (this.counts.conversions[name] ?? 0) + 1;
      }
    }
    const bodies = batch.map((s) => s.body);
    if (endpoint === "collect") {
      await this.opts.browser.request(
        "POST",
        `/t/collect?k=${encodeURIComponent(this.opts.publicKey)}`,
        { events: bodies },
        { contentType: "text/plain" },
      );
      return;
    }
    const res = await this.opts.api.request<BatchAnswer>("POST", `/v1/${endpoint}`, { data: bodies });
    this.counts.accepted += res.accepted;
    this.counts.duplicates += res.duplicates;
    this.counts.rejected += res.rejected;
    for (const r of res.results) {
      if (r.status === "rejected")
        this.counts.reasons[r.error.code] = (this.counts.reasons[r.error.code] ?? 0) + 1;
    }
  }
}
