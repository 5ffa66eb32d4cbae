/**
 * Writes of `Store.rules` on the SQLite writer thread (registered as `rules.*` operations, so
 * they join the group commit like every other write).
 */
import type Database from "better-sqlite3";
import { newId } from "../../domain/ids.js";
import {
  fireKey,
  type AppliedRecord,
  type RecordSignalOptions,
  type SignalRecord,
  type StoredRule,
} from "../rules-store.js";
import { signalFromRow, type SignalRow } from "./rules-reads.js";

export function rulesOps(db: Database.Database): Record<string, (...args: never[]) => unknown> {
  const st = {
    count: db.prepare("SELECT count(*) AS n FROM rules WHERE workspace_id = ? AND deleted = 0"),
    insert: db.prepare(
      "INSERT INTO rules (id, workspace_id, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    ),
    update: db.prepare(
      "UPDATE rules SET spec = ?, updated_at = ? WHERE workspace_id = ? AND id = ? AND deleted = 0 RETURNING created_at",
    ),
    remove: db.prepare("UPDATE rules SET deleted = 1 WHERE workspace_id = ? AND id = ? AND deleted = 0"),
    unfire: db.prepare("DELETE FROM rule_fires WHERE rule_id = ?"),
    fence: db.prepare(
      `INSERT INTO rule_fires (rule_id, key, workspace_id, fired_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (rule_id, key) DO UPDATE SET fired_at = excluded.fired_at WHERE rule_fires.fired_at < ?
       RETURNING fired_at`,
    ),
    signal: db.prepare(
      `INSERT INTO signals (id, workspace_id, rule_id, at, data, applied, apply_pending, apply_next_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    delivery: db.prepare(
      `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at, created_at, kind, payload)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, 'signal', ?)`,
    ),
    applied: db.prepare(
      "UPDATE signals SET applied = ?, apply_pending = ?, apply_next_at = ?, apply_lease_until = 0 WHERE id = ?",
    ),
    claimApplies: db.prepare(
      `UPDATE signals SET apply_lease_until = ?, apply_attempts = apply_attempts + 1
       WHERE id IN (SELECT id FROM signals WHERE apply_pending = 1 AND apply_next_at <= ? AND apply_lease_until <= ?
                    ORDER BY apply_next_at LIMIT ?)
       RETURNING id, workspace_id, rule_id, at, data, applied, apply_attempts`,
    ),
    initBase: db.prepare(
      `INSERT INTO budget_days (workspace_id, platform, key, day, base) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    base: db.prepare(
      "SELECT base FROM budget_days WHERE workspace_id = ? AND platform = ? AND key = ? AND day = ?",
    ),
  };

  return {
    "rules.createRule": (rule: StoredRule, limit: number): StoredRule | null => {
      const { n } = st.count.get(rule.workspaceId) as { n: number };
      if (n >= limit) return null;
      st.insert.run(rule.id, rule.workspaceId, JSON.stringify(rule.spec), rule.createdAt, rule.updatedAt);
      return rule;
    },
    "rules.updateRule": (
      workspaceId: string,
      id: string,
      spec: Record<string, unknown>,
      now: number,
    ): StoredRule | null => {
      const row = st.update.get(JSON.stringify(spec), now, workspaceId, id) as
        { created_at: number } | undefined;
      return row ? { id, workspaceId, spec, createdAt: row.created_at, updatedAt: now } : null;
    },
    "rules.deleteRule": (workspaceId: string, id: string): boolean => {
      const gone = st.remove.run(workspaceId, id).changes > 0;
      if (gone) st.unfire.run(id);
      return gone;
    },
    "rules.recordSignal": (s: SignalRecord, opts: RecordSignalOptions): boolean => {
      if (!st.fence.get(s.ruleId, fireKey(s.platform, s.key), s.workspaceId, s.at, opts.cooldownSince))
        return false;
      const { applied, ...data } = s;
      st.signal.run(
        s.id,
        s.workspaceId,
        s.ruleId,
        s.at,
        JSON.stringify(data),
        applied ? JSON.stringify(applied) : null,
        applied?.status === "pending" ? 1 : 0,
        s.at,
      );
      for (const d of opts.destinationIds)
        st.delivery.run(newId("dlv", s.at), s.workspaceId, d, s.id, s.at, s.at, opts.payload);
      return true;
    },
    "rules.setApplied": (signalId: string, applied: AppliedRecord, retryAt: number | null): void => {
      st.applied.run(JSON.stringify(applied), retryAt === null ? 0 : 1, retryAt ?? 0, signalId);
    },
    "rules.claimApplies": (
      now: number,
      leaseMs: number,
      limit: number,
    ): (SignalRecord & { attempts: number })[] =>
      (st.claimApplies.all(now + leaseMs, now, now, limit) as (SignalRow & { apply_attempts: number })[]).map(
        (r) => ({ ...signalFromRow(r), attempts: r.apply_attempts }),
      ),
    "rules.initBudgetBase": (
      workspaceId: string,
      platform: string,
      key: string,
      day: string,
      base: number,
    ): number => {
      st.initBase.run(workspaceId, platform, key, day, base);
      return (st.base.get(workspaceId, platform, key, day) as { base: number }).base;
    },
  };
}
