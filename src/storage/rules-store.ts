/**
 * What the store keeps of rules and signals (`POST /v1/rules`, `GET /v1/signals`): the rules,
 * when each (rule, key) last fired — the cooldown fence that several nodes share — the signals
 * with what applying them did, and each key's budget at the start of its day (the daily bound
 * of budget changes). Both backends implement it (`sqlite/rules-*.ts`, `postgres/rules-*.ts`)
 * and expose it as `Store.rules`.
 *
 * @example
 * const stored = await store.rules.recordSignal(signal, { cooldownSince: now - 60 * MINUTE_MS, destinationIds });
 * // false: this (rule, key) fired within the cooldown, on this node or another one; nothing stored
 */

/** A rule as stored: its spec is the JSON `rules/rule.ts` parsed (opaque here). */
export interface StoredRule {
  id: string;
  workspaceId: string;
  spec: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** What applying a signal to the platform did (or would do: `dry_run`). */
export interface AppliedRecord {
  status: "pending" | "applied" | "failed" | "skipped" | "dry_run";
  status_code: number | null;
  error: string | null;
  [more: string]: unknown;
}

export interface SignalRecord {
  id: string;
  workspaceId: string;
  ruleId: string;
  /** The rule's name when it fired. */
  rule: string;
  key: string;
  platform: string;
  metric: string;
  value: number | null;
  threshold: number;
  signal: string;
  at: number;
  /** The platform's campaign id behind `key`, when spend named it (apply needs it). */
  campaignId?: string | null;
  /** null: the rule does not apply its signals. */
  applied: AppliedRecord | null;
}

export interface RecordSignalOptions {
  /** The (rule, key) must not have fired at or after this time. */
  cooldownSince: number;
  /** Destinations that take signals (webhooks with `signals: true`): an outbox row each. */
  destinationIds: string[];
  /** JSON of the outbox rows' payload (the webhook's `data`). */
  payload: string;
}

/** The `rule_fires` key of one key of a rule's `group_by` (platform and name never hold U+001F). */
export function fireKey(platform: string, key: string): string {
  return `${platform}\u001f${key}`;
}

export interface RuleFire {
  ruleId: string;
  key: string;
  firedAt: number;
}

export interface RulesStore {
  /** Creates the rule unless its workspace has `limit` of them already: null then. */
  createRule(rule: StoredRule, limit: number): Promise<StoredRule | null>;
  /** Rules not deleted; of every workspace when `workspaceId` is null. */
  listRules(workspaceId: string | null): Promise<StoredRule[]>;
  getRule(workspaceId: string, id: string): Promise<StoredRule | null>;
  updateRule(
    workspaceId: string,
    id: string,
    spec: Record<string, unknown>,
    now: number,
  ): Promise<StoredRule | null>;
  deleteRule(workspaceId: string, id: string): Promise<boolean>;

  /**
   * In one transaction: claims the (rule, key) unless it fired since `cooldownSince`, stores
   * the signal, and queues an outbox row (kind `signal`) per destination. False, and nothing
   * stored, when the cooldown fence holds.
   */
  recordSignal(signal: SignalRecord, opts: RecordSignalOptions): Promise<boolean>;
  /** Signals with `at` in [from, to), newest first. */
  listSignals(
    workspaceId: string,
    from: number | null,
    to: number | null,
    limit: number,
  ): Promise<SignalRecord[]>;
  /** When each (rule, key) of the workspace's rules last fired. */
  listFires(workspaceId: string): Promise<RuleFire[]>;

  /** Records what applying did; `retryAt` keeps it pending until then (null: settled). */
  setApplied(
    workspaceId: string,
    signalId: string,
    applied: AppliedRecord,
    retryAt: number | null,
  ): Promise<void>;
  /** Claims pending applies due at `now` under a lease: of several nodes, one applies each. */
  claimApplies(now: number, leaseMs: number, limit: number): Promise<(SignalRecord & { attempts: number })[]>;

  /** The budget of (platform, key) before its first change on `day`; null before any. */
  budgetBase(workspaceId: string, platform: string, key: string, day: string): Promise<number | null>;
  /** Keeps `base` as that day's first budget unless one is kept already; returns the one kept. */
  initBudgetBase(
    workspaceId: string,
    platform: string,
    key: string,
    day: string,
    base: number,
  ): Promise<number>;
}
