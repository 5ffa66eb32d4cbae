/**
 * Credit rollup writes of the SQLite store (storage/credit-rollup.ts): each key numbered once
 * in `credit_keys` (numbers committed are cached; a number made in a group is trusted only once
 * the group commits, as a rolled-back one would be given again), then one prepared upsert per
 * changed row. A row whose count of credits is back to 0 holds exact zeros, so float residue
 * of a value taken away never shows in a report.
 */
import type Database from "better-sqlite3";
import { LRUCache } from "lru-cache";
import { keyString, type CreditKey, type RollupRowDelta } from "../credit-rollup.js";

export class SqliteCreditRollupWriter {
  private readonly insertKey: Database.Statement;
  private readonly keyId: Database.Statement;
  private readonly upsert: Database.Statement;
  /** Committed key numbers (campaign and ad names are the clients': bounded). */
  private readonly committed = new LRUCache<string, number>({ max: 100_000 });
  /** Numbers made by the group running now. */
  private pending = new Map<string, number>();

  constructor(db: Database.Database) {
    this.insertKey = db.prepare(
      `INSERT INTO credit_keys (workspace_id, platform, campaign, ad, currency, nulls) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.keyId = db
      .prepare(
        `SELECT id FROM credit_keys
         WHERE workspace_id = ? AND platform = ? AND campaign = ? AND ad = ? AND currency = ? AND nulls = ?`,
      )
      .pluck();
    this.upsert = db.prepare(
      `INSERT INTO credit_rollup (workspace_id, model, span, start, key_id, flagged, n, credit, value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, model, span, start, key_id, flagged) DO UPDATE SET
         n = n + excluded.n,
         credit = CASE WHEN n + excluded.n = 0 THEN 0 ELSE credit + excluded.credit END,
         value = CASE WHEN n + excluded.n = 0 THEN 0 ELSE value + excluded.value END`,
    );
  }

  /** Writes rows summed by `CreditRollupAccumulator`, inside the group's transaction. */
  write(rows: readonly RollupRowDelta[]): void {
    for (const r of rows)
      this.upsert.run(
        r.key.workspaceId,
        r.model,
        r.span,
        r.start,
        this.idOf(r.key),
        r.flagged,
        r.n,
        r.credit,
        r.value,
      );
  }

  /** The group ended: its new key numbers are kept if it committed, forgotten if not. */
  endGroup(committed: boolean): void {
    if (committed) for (const [k, id] of this.pending) this.committed.set(k, id);
    this.pending = new Map();
  }

  private idOf(key: CreditKey): number {
    const ks = keyString(key);
    const known = this.pending.get(ks) ?? this.committed.get(ks);
    if (known !== undefined) return known;
    const args = [key.workspaceId, key.platform, key.campaign, key.ad, key.currency, key.nulls];
    const made = this.insertKey.run(...args).changes > 0;
    const id = this.keyId.get(...args) as number;
    if (made) this.pending.set(ks, id);
    else this.committed.set(ks, id);
    return id;
  }
}
