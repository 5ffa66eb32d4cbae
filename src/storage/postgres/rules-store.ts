/**
 * `Store.rules` of the PostgreSQL store. Creating a rule takes a per-workspace advisory lock
 * (two creations racing for the last place: one wins); the cooldown fence is one upsert on
 * `rule_fires`, so of several nodes evaluating the same rule one stores the signal.
 */
import type pg from "pg";
import { newId } from "../../domain/ids.js";
import {
  fireKey,
  type AppliedRecord,
  type RecordSignalOptions,
  type RuleFire,
  type RulesStore,
  type SignalRecord,
  type StoredRule,
} from "../rules-store.js";
import { inTransaction } from "./pg-writes.js";

interface RuleRow {
  id: string;
  workspace_id: string;
  spec: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

interface SignalRow {
  data: Omit<SignalRecord, "applied">;
  applied: AppliedRecord | null;
}

const toRule = (r: RuleRow): StoredRule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  spec: r.spec,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toSignal = (r: SignalRow): SignalRecord => ({ ...r.data, applied: r.applied });

export class PgRulesStore implements RulesStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly guard: <T>(f: () => Promise<T>) => Promise<T>,
  ) {}

  createRule(rule: StoredRule, limit: number): Promise<StoredRule | null> {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        await c.query("SELECT pg_advisory_xact_lock(hashtext('tally_rules:' || $1))", [rule.workspaceId]);
        const n = await c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM rules WHERE workspace_id = $1 AND NOT deleted",
          [rule.workspaceId],
        );
        if (n.rows[0]!.n >= limit) return null;
        await c.query(
          "INSERT INTO rules (id, workspace_id, spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
          [rule.id, rule.workspaceId, JSON.stringify(rule.spec), rule.createdAt, rule.updatedAt],
        );
        return rule;
      }),
    );
  }

  listRules(workspaceId: string | null): Promise<StoredRule[]> {
    return this.guard(async () => {
      const r =
        workspaceId === null
          ? await this.pool.query<RuleRow>("SELECT * FROM rules WHERE NOT deleted ORDER BY id")
          : await this.pool.query<RuleRow>(
              "SELECT * FROM rules WHERE workspace_id = $1 AND NOT deleted ORDER BY id",
              [workspaceId],
            );
      return r.rows.map(toRule);
    });
  }

  getRule(workspaceId: string, id: string): Promise<StoredRule | null> {
    return this.guard(async () => {
      const r = await this.pool.query<RuleRow>(
        "SELECT * FROM rules WHERE workspace_id = $1 AND id = $2 AND NOT deleted",
        [workspaceId, id],
      );
      return r.rows[0] ? toRule(r.rows[0]) : null;
    });
  }

  updateRule(
    workspaceId: string,
    id: string,
    spec: Record<string, unknown>,
    now: number,
  ): Promise<StoredRule | null> {
    return this.guard(async () => {
      const r = await this.pool.query<RuleRow>(
        "UPDATE rules SET spec = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4 AND NOT deleted RETURNING *",
        [JSON.stringify(spec), now, workspaceId, id],
      );
      return r.rows[0] ? toRule(r.rows[0]) : null;
    });
  }

  deleteRule(workspaceId: string, id: string): Promise<boolean> {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        const r = await c.query(
          "UPDATE rules SET deleted = true WHERE workspace_id = $1 AND id = $2 AND NOT deleted",
          [workspaceId, id],
        );
        if (!r.rowCount) return false;
        await c.query("DELETE FROM rule_fires WHERE workspace_id = $1 AND rule_id = $2", [workspaceId, id]);
        return true;
      }),
    );
  }

  recordSignal(s: SignalRecord, opts: RecordSignalOptions): Promise<boolean> {
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        const fence = await c.query(
          `INSERT INTO rule_fires (rule_id, key, workspace_id, fired_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rule_id, key, workspace_id) DO UPDATE SET fired_at = excluded.fired_at WHERE rule_fires.fired_at < $5
           RETURNING fired_at`,
          [s.ruleId, fireKey(s.platform, s.key), s.workspaceId, s.at, opts.cooldownSince],
        );
        if (!fence.rowCount) return false;
        const { applied, ...data } = s;
        await c.query(
          `INSERT INTO signals (id, workspace_id, rule_id, at, data, applied, apply_pending, apply_next_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $4)`,
          [
            s.id,
            s.workspaceId,
            s.ruleId,
            s.at,
            JSON.stringify(data),
            applied ? JSON.stringify(applied) : null,
            applied?.status === "pending",
          ],
        );
        if (opts.destinationIds.length)
          await c.query(
            `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, attempts, next_attempt_at, created_at, kind, payload)
             SELECT u.id, $1, u.dest, $2, 'pending', 0, $3, $3, 'signal', $4
             FROM unnest($5::text[], $6::text[]) AS u(id, dest)`,
            [
              s.workspaceId,
              s.id,
              s.at,
              opts.payload,
              opts.destinationIds.map(() => newId("dlv", s.at)),
              opts.destinationIds,
            ],
          );
        return true;
      }),
    );
  }

  listSignals(
    workspaceId: string,
    from: number | null,
    to: number | null,
    limit: number,
  ): Promise<SignalRecord[]> {
    return this.guard(async () => {
      const r = await this.pool.query<SignalRow>(
        `SELECT data, applied FROM signals WHERE workspace_id = $1 AND at >= $2 AND at < $3
         ORDER BY at DESC, id DESC LIMIT $4`,
        [workspaceId, from ?? 0, to ?? Number.MAX_SAFE_INTEGER, limit],
      );
      return r.rows.map(toSignal);
    });
  }

  listFires(workspaceId: string): Promise<RuleFire[]> {
    return this.guard(async () => {
      const r = await this.pool.query<{ rule_id: string; key: string; fired_at: number }>(
        "SELECT rule_id, key, fired_at FROM rule_fires WHERE workspace_id = $1",
        [workspaceId],
      );
      return r.rows.map((x) => ({ ruleId: x.rule_id, key: x.key, firedAt: x.fired_at }));
    });
  }

  setApplied(
    workspaceId: string,
    signalId: string,
    applied: AppliedRecord,
    retryAt: number | null,
  ): Promise<void> {
    return this.guard(async () => {
      await this.pool.query(
        `UPDATE signals SET applied = $1, apply_pending = $2, apply_next_at = $3, apply_lease_until = 0
         WHERE workspace_id = $5 AND id = $4`,
        [JSON.stringify(applied), retryAt !== null, retryAt ?? 0, signalId, workspaceId],
      );
    });
  }

  claimApplies(
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<(SignalRecord & { attempts: number })[]> {
    return this.guard(async () => {
      const r = await this.pool.query<SignalRow & { apply_attempts: number }>(
        `WITH due AS (
           SELECT workspace_id, id FROM signals WHERE apply_pending AND apply_next_at <= $1 AND apply_lease_until <= $1
           ORDER BY apply_next_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE signals s SET apply_lease_until = $3, apply_attempts = s.apply_attempts + 1 FROM due
         WHERE s.workspace_id = due.workspace_id AND s.id = due.id RETURNING s.data, s.applied, s.apply_attempts`,
        [now, limit, now + leaseMs],
      );
      return r.rows.map((x) => ({ ...toSignal(x), attempts: x.apply_attempts }));
    });
  }

  budgetBase(workspaceId: string, platform: string, key: string, day: string): Promise<number | null> {
    return this.guard(async () => {
      const r = await this.pool.query<{ base: number }>(
        "SELECT base FROM budget_days WHERE workspace_id = $1 AND platform = $2 AND key = $3 AND day = $4",
        [workspaceId, platform, key, day],
      );
      return r.rows[0]?.base ?? null;
    });
  }

  initBudgetBase(
    workspaceId: string,
    platform: string,
    key: string,
    day: string,
    base: number,
  ): Promise<number> {
    return this.guard(async () => {
      const r = await this.pool.query<{ base: number }>(
        `WITH ins AS (
           INSERT INTO budget_days (workspace_id, platform, key, day, base) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING base)
         SELECT base FROM ins UNION ALL
         SELECT base FROM budget_days WHERE workspace_id = $1 AND platform = $2 AND key = $3 AND day = $4
         LIMIT 1`,
        [workspaceId, platform, key, day, base],
      );
      return r.rows[0]!.base;
    });
  }
}
