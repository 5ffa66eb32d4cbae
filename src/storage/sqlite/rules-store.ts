/** `Store.rules` of the embedded store: writes on the writer thread, reads on the read connection. */
import type {
  AppliedRecord,
  RecordSignalOptions,
  RuleFire,
  RulesStore,
  SignalRecord,
  StoredRule,
} from "../rules-store.js";
import type { SqliteRulesReads } from "./rules-reads.js";

type WriterCall = <T>(op: string, args: unknown[], weight?: number) => Promise<T>;
type ReaderCall = <T>(fn: (r: SqliteRulesReads) => T) => Promise<T>;

export class SqliteRulesStore implements RulesStore {
  constructor(
    private readonly call: WriterCall,
    private readonly read: ReaderCall,
  ) {}

  createRule(rule: StoredRule, limit: number): Promise<StoredRule | null> {
    return this.call("rules.createRule", [rule, limit]);
  }
  listRules(workspaceId: string | null): Promise<StoredRule[]> {
    return this.read((r) => r.listRules(workspaceId));
  }
  getRule(workspaceId: string, id: string): Promise<StoredRule | null> {
    return this.read((r) => r.getRule(workspaceId, id));
  }
  updateRule(
    workspaceId: string,
    id: string,
    spec: Record<string, unknown>,
    now: number,
  ): Promise<StoredRule | null> {
    return this.call("rules.updateRule", [workspaceId, id, spec, now]);
  }
  deleteRule(workspaceId: string, id: string): Promise<boolean> {
    return this.call("rules.deleteRule", [workspaceId, id]);
  }
  recordSignal(signal: SignalRecord, opts: RecordSignalOptions): Promise<boolean> {
    return this.call("rules.recordSignal", [signal, opts]);
  }
  listSignals(
    workspaceId: string,
    from: number | null,
    to: number | null,
    limit: number,
  ): Promise<SignalRecord[]> {
    return this.read((r) => r.listSignals(workspaceId, from, to, limit));
  }
  listFires(workspaceId: string): Promise<RuleFire[]> {
    return this.read((r) => r.listFires(workspaceId));
  }
  setApplied(
    _workspaceId: string,
    signalId: string,
    applied: AppliedRecord,
    retryAt: number | null,
  ): Promise<void> {
    return this.call("rules.setApplied", [signalId, applied, retryAt]);
  }
  claimApplies(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<(SignalRecord & { attempts: number })[]> {
    return this.call("rules.claimApplies", [now, leaseMs, limit]);
  }
  budgetBase(workspaceId: string, platform: string, key: string, day: string): Promise<number | null> {
    return this.read((r) => r.budgetBase(workspaceId, platform, key, day));
  }
  initBudgetBase(
    workspaceId: string,
    platform: string,
    key: string,
    day: string,
    base: number,
  ): Promise<number> {
    return this.call("rules.initBudgetBase", [workspaceId, platform, key, day, base]);
  }
}
