/**
 * From conditions to alerts: an alert fires once when its condition starts and resolves once
 * when it has been gone for `holdMs` (so a series hovering at its line does not flap). The
 * store decides who fires and who resolves (one firing row per workspace, kind and subject),
 * so of several nodes judging the same workspace exactly one announces each transition, on
 * the bus (the live feed; other nodes hear it through their bridge) and, in the same
 * transaction, to the channels' outbox.
 */
import type { AlertMessage } from "../bus.js";
import type { AlertKind } from "../domain/alert.js";
import { newId } from "../domain/ids.js";
import type { AlertRecord, MonitoringStore } from "../storage/monitoring-store.js";
import { alertJson } from "./alert-json.js";
import type { Condition } from "./detectors/index.js";

interface Firing {
  kind: string;
  /** Last time its condition held (0: not since this node started watching). */
  seen: number;
}

const keyOf = (ws: string, kind: string, subject: string) => `${ws}|${kind}|${subject}`;

export class AlertLifecycle {
  /** ws → key → firing alert */
  private readonly firing = new Map<string, Map<string, Firing>>();

  constructor(
    private readonly store: MonitoringStore,
    private readonly publish: (m: AlertMessage) => void,
    private readonly holdMs = 10_000,
  ) {}

  /** Learns what is firing already (after a restart, or fired by another node). */
  async init(now: number): Promise<void> {
    for (const a of await this.store.firingAlerts()) this.mark(a.workspaceId, a.kind, a.subject, now);
  }

  workspaces(): IterableIterator<string> {
    return this.firing.keys();
  }

  private mark(ws: string, kind: string, subject: string, seen: number): void {
    let m = this.firing.get(ws);
    if (!m) this.firing.set(ws, (m = new Map<string, Firing>()));
    const k = keyOf(ws, kind, subject);
    const f = m.get(k);
    if (f) f.seen = seen;
    else m.set(k, { kind, seen });
  }

  /**
   * The conditions holding now in one workspace for the `kinds` judged this time: new ones
   * fire, firing ones of those kinds that are gone (for `holdMs`) resolve.
   */
  async reconcile(
    ws: string,
    conditions: readonly Condition[],
    kinds: readonly AlertKind[],
    now: number,
  ): Promise<void> {
    const m = this.firing.get(ws);
    for (const c of conditions) {
      const k = keyOf(ws, c.kind, c.subject);
      if (m?.has(k)) {
        m.get(k)!.seen = now;
        continue;
      }
      const rec: AlertRecord = {
        id: newId("alr", now),
        workspaceId: ws,
        kind: c.kind,
        subject: c.subject,
        status: "firing",
        severity: c.severity,
        startedAt: now,
        resolvedAt: null,
        message: c.message,
        diagnosis: c.diagnosis,
        details: c.details,
      };
      if (await this.store.openAlert(rec, now)) this.announce(rec, now);
      this.mark(ws, c.kind, c.subject, now);
    }
    const mine = this.firing.get(ws);
    if (!mine) return;
    const holding = new Set(conditions.map((c) => keyOf(ws, c.kind, c.subject)));
    for (const [k, f] of mine) {
      if (holding.has(k) || !(kinds as readonly string[]).includes(f.kind)) continue;
      if (f.seen !== 0 && now - f.seen < this.holdMs) continue;
      const subject = k.slice(ws.length + f.kind.length + 2);
      const resolved = await this.store.resolveAlert(ws, f.kind, subject, now);
      if (resolved) this.announce(resolved, now);
      mine.delete(k);
    }
    if (mine.size === 0) this.firing.delete(ws);
  }

  private announce(a: AlertRecord, now: number): void {
    this.publish({
      type: "alert",
      workspaceId: a.workspaceId,
      at: now,
      rule: a.kind,
      message: a.message,
      alert: alertJson(a),
    });
  }
}
