/**
 * Credit rollup writes of the SQLite store (storage/credit-rollup.ts): one prepared upsert,
 * run per changed row. A row whose count of credits is back to 0 holds exact zeros, so float
 * residue of a value taken away never shows in a report.
 */
import type Database from "better-sqlite3";
import { CreditRollupAccumulator, type CreditDelta, type RollupRowDelta } from "../credit-rollup.js";

const upserts = new WeakMap<Database.Database, Database.Statement>();

/** Writes rows summed by `CreditRollupAccumulator` (the group commit's path). */
export function writeCreditRollup(db: Database.Database, rows: readonly RollupRowDelta[]): void {
  if (rows.length === 0) return;
  let st = upserts.get(db);
  if (!st) {
    st = db.prepare(
      `INSERT INTO credit_rollup (workspace_id, model, span, start, platform, campaign, ad, currency, nulls, n, credit, value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, model, span, start, platform, campaign, ad, currency, nulls) DO UPDATE SET
         n = n + excluded.n,
         credit = CASE WHEN n + excluded.n = 0 THEN 0 ELSE credit + excluded.credit END,
         value = CASE WHEN n + excluded.n = 0 THEN 0 ELSE value + excluded.value END`,
    );
    upserts.set(db, st);
  }
  for (const r of rows)
    st.run(
      r.workspaceId,
      r.model,
      r.span,
      r.start,
      r.platform,
      r.campaign,
      r.ad,
      r.currency,
      r.nulls,
      r.n,
      r.credit,
      r.value,
    );
}

/** Applies signed deltas now, inside the caller's transaction (e.g. a retraction: the credits' rows with −1). */
export function applyCreditDeltas(db: Database.Database, deltas: Iterable<CreditDelta>): void {
  const acc = new CreditRollupAccumulator();
  acc.addAll(deltas);
  writeCreditRollup(db, acc.drain());
}
