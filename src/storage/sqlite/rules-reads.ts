/** Reads of `Store.rules` on the SQLite read connection. */
import type Database from "better-sqlite3";
import type { AppliedRecord, RuleFire, SignalRecord, StoredRule } from "../rules-store.js";

export interface SignalRow {
  id: string;
  workspace_id: string;
  rule_id: string;
  at: number;
  data: string;
  applied: string | null;
}

export function signalFromRow(r: SignalRow): SignalRecord {
  const data = JSON.parse(r.data) as Omit<SignalRecord, "applied">;
  return { ...data, applied: r.applied ? (JSON.parse(r.applied) as AppliedRecord) : null };
}

interface RuleRow {
  id: string;
  workspace_id: string;
  spec: string;
  created_at: number;
  updated_at: number;
}

const toRule = (r: RuleRow): StoredRule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  spec: JSON.parse(r.spec) as Record<string, unknown>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SqliteRulesReads {
  constructor(private readonly db: Database.Database) {}

  listRules(workspaceId: string | null): StoredRule[] {
    const rows = (
      workspaceId === null
        ? this.db.prepare("SELECT * FROM rules WHERE deleted = 0 ORDER BY id").all()
        : this.db
            .prepare("SELECT * FROM rules WHERE workspace_id = ? AND deleted = 0 ORDER BY id")
            .all(workspaceId)
    ) as RuleRow[];
    return rows.map(toRule);
  }

  getRule(workspaceId: string, id: string): StoredRule | null {
    const r = this.db
      .prepare("SELECT * FROM rules WHERE workspace_id = ? AND id = ? AND deleted = 0")
      .get(workspaceId, id) as RuleRow | undefined;
    return r ? toRule(r) : null;
  }

  listSignals(workspaceId: string, from: number | null, to: number | null, limit: number): SignalRecord[] {
    const rows = this.db
      .prepare(
        `SELECT id, workspace_id, rule_id, at, data, applied FROM signals
         WHERE workspace_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
      )
      .all(workspaceId, from ?? 0, to ?? Number.MAX_SAFE_INTEGER, limit) as SignalRow[];
    return rows.map(signalFromRow);
  }

  listFires(workspaceId: string): RuleFire[] {
    return (
      this.db
        .prepare("SELECT rule_id, key, fired_at FROM rule_fires WHERE workspace_id = ?")
        .all(workspaceId) as { rule_id: string; key: string; fired_at: number }[]
    ).map((r) => ({ ruleId: r.rule_id, key: r.key, firedAt: r.fired_at }));
  }

  budgetBase(workspaceId: string, platform: string, key: string, day: string): number | null {
    const r = this.db
      .prepare("SELECT base FROM budget_days WHERE workspace_id = ? AND platform = ? AND key = ? AND day = ?")
      .get(workspaceId, platform, key, day) as { base: number } | undefined;
    return r?.base ?? null;
  }
}
