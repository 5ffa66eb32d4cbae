/**
 * The rules engine of one node: evaluates every enabled rule whenever a conversion of its
 * workspace is published on the bus (after the commit: what it counts is durable), when spend
 * or rules change, and once a minute; stores the signals that fire and publishes them.
 *
 *   bus conversion ──► window tables (in memory, per (model, group_by, window)) ──► evaluate
 *   minute tick / rules or spend changed ──► reload the tables from the store ──┘      │
 *                                                      holds, not in cooldown ◄─────────┘
 *                                                                 │
 *   store.rules.recordSignal (cooldown fence + signal + outbox rows, one transaction)
 *                                                                 │
 *                     bus "signal" (live feed, wakes the webhook workers), apply (optional)
 *
 * A condition is level-triggered with a cooldown, as ad platforms' automated rules are: a key
 * whose condition holds fires, then not again before `cooldown_minutes` have passed; still
 * holding then, it fires again. The fence in the store makes this hold across nodes (every
 * node evaluates every conversion: its own and, on PostgreSQL, the other nodes').
 */
import type { Logger } from "pino";
import { newId } from "../domain/ids.js";
import { MINUTE_MS, HOUR_MS } from "../domain/time.js";
import type { Workspace } from "../domain/workspace.js";
import type { Bus, BusMessage, ConversionMessage } from "../bus.js";
import type { Store } from "../storage/storage.js";
import { type SignalRecord, type StoredRule } from "../storage/rules-store.js";
import { evaluate, evaluateInto, type Verdict } from "./evaluate.js";
import { parseRule, type Rule } from "./rule.js";
import { signalJson } from "./signal-json.js";
import { WindowTable, windowId, type WindowEntry, type WindowRow, type WindowSpec } from "./window-cache.js";

/** The performance figures per key over [from, to) for a rule's window (performance report, trailing spend). */
export type WindowSource = (
  ws: Workspace,
  q: WindowSpec & { from: number; to: number },
) => Promise<WindowRow[]>;

export interface RuleEngineDeps {
  store: Store;
  bus: Bus;
  logger: Pick<Logger, "warn" | "error">;
  window: WindowSource;
  /** Destinations that take the workspace's signals (destinations/signal-targets.ts). */
  signalTargets(workspaceId: string): Promise<string[]>;
  /** Called with each stored signal of a rule that applies its signals. */
  onApply?(signal: SignalRecord, rule: Rule): void;
  now?: () => number;
  /** How often every rule is evaluated with reloaded totals (default one minute). */
  tickMs?: number;
}

export interface KeyState {
  key: string;
  platform: string;
  value: number | null;
  holds: boolean;
  last_fired_at: number | null;
}

export interface RuleState {
  evaluated_at: number | null;
  last_fired_at: number | null;
  /** Keys (most recent evaluation), those that hold first. */
  keys: KeyState[];
}

interface WorkspaceState {
  ws: Workspace;
  rules: Rule[];
  tables: Map<string, WindowTable>;
  /** Each table with the rules that read it. */
  readers: { table: WindowTable; slots: Slot[] }[];
}

/** A rule with its per-key state, held by reference on the hot path (no lookups by rule id). */
interface Slot {
  rule: Rule;
  verdicts: Map<string, Verdict>;
  fired: Map<string, number>;
  evaluatedAt: number | null;
}

/** Reads a stored rule (its spec was checked when written); null when it no longer parses. */
export function ruleFromStored(r: StoredRule): Rule | null {
  const p = parseRule(r.spec);
  return p.ok
    ? { ...p.spec, id: r.id, workspaceId: r.workspaceId, createdAt: r.createdAt, updatedAt: r.updatedAt }
    : null;
}

export class RuleEngine {
  private readonly d: RuleEngineDeps;
  private readonly now: () => number;
  private readonly workspaces = new Map<string, WorkspaceState>();
  /** rule id → fire key → last fired (this node's view; the store's fence decides). */
  private readonly fired = new Map<string, Map<string, number>>();
  /** rule id → its slot (verdicts of the latest evaluation). */
  private readonly slots = new Map<string, Slot>();
  private readonly firing = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(deps: RuleEngineDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.d.bus.subscribe((m) => this.onBus(m));
    await this.reloadAll().catch((err: unknown) => this.warn(err, "loading rules failed"));
    this.timer = setInterval(() => {
      this.track(this.reloadAll().catch((err: unknown) => this.warn(err, "evaluating rules failed")));
    }, this.d.tickMs ?? MINUTE_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await Promise.allSettled([...this.pending]);
  }

  /** Rules of a workspace changed on this node: reload and evaluate them now, and tell the others. */
  async rulesChanged(workspaceId: string): Promise<void> {
    this.d.bus.publish({ type: "rules_changed", workspaceId });
    await this.reloadWorkspace(workspaceId);
  }

  /** Spend of a workspace changed: its totals are read again. */
  spendChanged(workspaceId: string): void {
    if (this.workspaces.has(workspaceId)) this.track(this.reloadWorkspace(workspaceId));
  }

  /** What the dashboard shows of a rule: the keys' last values, last fired, cooldown. */
  state(rule: Rule): RuleState {
    const slot = this.slots.get(rule.id);
    const verdicts = slot?.verdicts ?? new Map<string, Verdict>();
    const fired = this.fired.get(rule.id) ?? new Map<string, number>();
    const ws = this.workspaces.get(rule.workspaceId);
    const table = ws?.tables.get(windowId(specOf(rule)));
    const keys: KeyState[] = [];
    for (const [id, v] of verdicts) {
      const e = table?.entries.get(id);
      if (!e) continue;
      keys.push({
        key: e.key,
        platform: e.platform,
        value: v.value,
        holds: v.holds,
        last_fired_at: fired.get(id) ?? null,
      });
    }
    keys.sort((a, b) => Number(b.holds) - Number(a.holds) || (b.last_fired_at ?? 0) - (a.last_fired_at ?? 0));
    let last: number | null = null;
    for (const t of fired.values()) last = Math.max(last ?? 0, t);
    return {
      evaluated_at: slot?.evaluatedAt ?? null,
      last_fired_at: last,
      keys: keys.slice(0, 50),
    };
  }

  // Runs inside the publisher's call: synchronous, never throws past the bus.
  private onBus(m: BusMessage): void {
    if (this.stopped) return;
    if (m.type === "rules_changed") {
      if (m.remote) this.track(this.reloadWorkspace(m.workspaceId));
      return;
    }
    if (m.type === "conversion") this.onConversion(m);
  }

  /** Moves the window tables by one conversion and evaluates the keys it touched. */
  onConversion(m: ConversionMessage): void {
    const w = this.workspaces.get(m.workspaceId);
    // A flagged conversion the workspace excludes moves no rule (its reads leave it out too).
    if (!w || w.rules.length === 0 || !m.attribution || m.excluded) return;
    const home = w.ws.currency;
    const counts = m.currency === null || m.currency === home;
    let conversions = 1;
    let value = counts ? (m.value ?? 0) : 0;
    if (m.superseded) {
      // The same conversion with the server's data: only the value moves.
      const before =
        m.superseded.currency === null || m.superseded.currency === home ? (m.superseded.value ?? 0) : 0;
      conversions = 0;
      value -= before;
    }
    const now = this.now();
    for (const { table, slots } of w.readers) {
      if (m.eventTime < now - table.spec.windowHours * HOUR_MS) continue;
      const credits = m.attribution[table.spec.model];
      if (!credits?.length) continue;
      const keys = table.add(credits, conversions, value);
      for (const slot of slots) {
        slot.evaluatedAt = now;
        for (const k of keys) void this.evaluateKey(slot, table, k, now); // tracked; errors are logged
      }
    }
  }

  /** Evaluates one key; returns the signal being stored when it fires. */
  private evaluateKey(slot: Slot, table: WindowTable, id: string, now: number): Promise<void> | null {
    const { rule } = slot;
    const e = table.entries.get(id)!;
    let v = slot.verdicts.get(id);
    if (v) evaluateInto(rule, e.totals, v);
    else slot.verdicts.set(id, (v = evaluate(rule, e.totals)));
    if (!v.holds) return null;
    const last = slot.fired.get(id);
    if (last !== undefined && last > now - rule.cooldown_minutes * MINUTE_MS) return null;
    const flight = `${rule.id}\u001e${id}`;
    if (this.firing.has(flight)) return null;
    this.firing.add(flight);
    const p = this.fire(rule, e, id, v.value, now)
      .catch((err: unknown) => this.warn(err, "storing a signal failed"))
      .finally(() => this.firing.delete(flight));
    this.track(p);
    return p;
  }

  private async fire(
    rule: Rule,
    { platform, key, campaignId }: WindowEntry,
    id: string,
    value: number | null,
    now: number,
  ): Promise<void> {
    const signal: SignalRecord = {
      id: newId("sig", now),
      workspaceId: rule.workspaceId,
      ruleId: rule.id,
      rule: rule.name,
      key,
      platform,
      metric: rule.metric,
      value,
      threshold: rule.threshold,
      signal: rule.signal,
      at: now,
      ...(campaignId ? { campaignId } : {}),
      applied: rule.apply
        ? {
            status: "pending",
            status_code: null,
            error: null,
            ...(rule.apply.dry_run ? { dry_run: true } : {}),
          }
        : null,
    };
    const destinationIds = await this.d.signalTargets(rule.workspaceId);
    const json = signalJson(signal);
    const stored = await this.d.store.rules.recordSignal(signal, {
      cooldownSince: now - rule.cooldown_minutes * MINUTE_MS,
      destinationIds,
      payload: JSON.stringify(json),
    });
    let fired = this.fired.get(rule.id);
    if (!fired) this.fired.set(rule.id, (fired = new Map<string, number>()));
    // Fenced: another node (or an earlier run) fired within the cooldown; this node now knows.
    fired.set(id, now);
    if (!stored) return;
    this.d.bus.publish({ type: "signal", workspaceId: rule.workspaceId, data: { ...json } });
    if (rule.apply) this.d.onApply?.(signal, rule);
  }

  private async reloadAll(): Promise<void> {
    const rules = (await this.d.store.rules.listRules(null)).map(ruleFromStored).filter((r) => r !== null);
    const byWs = new Map<string, Rule[]>();
    for (const r of rules) byWs.set(r.workspaceId, [...(byWs.get(r.workspaceId) ?? []), r]);
    for (const id of this.workspaces.keys()) if (!byWs.has(id)) this.workspaces.delete(id);
    for (const [id, list] of byWs) await this.load(id, list);
  }

  private async reloadWorkspace(workspaceId: string): Promise<void> {
    const list = (await this.d.store.rules.listRules(workspaceId))
      .map(ruleFromStored)
      .filter((r) => r !== null);
    await this.load(workspaceId, list);
  }

  /** Reads the workspace's tables and fires, then evaluates every enabled rule over every key. */
  private async load(workspaceId: string, all: Rule[]): Promise<void> {
    const rules = all.filter((r) => r.enabled);
    if (rules.length === 0) {
      this.workspaces.delete(workspaceId);
      return;
    }
    const ws = await this.d.store.getWorkspace(workspaceId);
    if (!ws) return;
    const now = this.now();
    const specs = new Map<string, WindowSpec>();
    for (const r of rules) specs.set(windowId(specOf(r)), specOf(r));
    const tables = new Map<string, WindowTable>();
    for (const [id, spec] of specs) {
      const rows = await this.d.window(ws, { ...spec, from: now - spec.windowHours * HOUR_MS, to: now });
      tables.set(id, new WindowTable(spec, rows, now));
    }
    for (const f of await this.d.store.rules.listFires(workspaceId)) {
      let m = this.fired.get(f.ruleId);
      if (!m) this.fired.set(f.ruleId, (m = new Map<string, number>()));
      if ((m.get(f.key) ?? 0) < f.firedAt) m.set(f.key, f.firedAt);
    }
    for (const r of all) this.slots.delete(r.id);
    const slots = rules.map((rule): Slot => {
      let fired = this.fired.get(rule.id);
      if (!fired) this.fired.set(rule.id, (fired = new Map<string, number>()));
      const slot = { rule, verdicts: new Map<string, Verdict>(), fired, evaluatedAt: now };
      this.slots.set(rule.id, slot);
      return slot;
    });
    const readers = [...tables.values()].map((table) => ({
      table,
      slots: slots.filter((s) => windowId(specOf(s.rule)) === windowId(table.spec)),
    }));
    this.workspaces.set(workspaceId, { ws, rules, tables, readers });
    const fires: Promise<void>[] = [];
    for (const slot of slots) {
      const t = tables.get(windowId(specOf(slot.rule)))!;
      for (const id of t.entries.keys()) {
        const p = this.evaluateKey(slot, t, id, now);
        if (p) fires.push(p);
      }
    }
    // A rule created or changed answers once what it fires at once is stored.
    await Promise.all(fires);
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private warn(err: unknown, msg: string): void {
    this.d.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, msg);
  }
}

function specOf(r: Rule): WindowSpec {
  return { model: r.model, groupBy: r.group_by, windowHours: r.window_hours };
}
