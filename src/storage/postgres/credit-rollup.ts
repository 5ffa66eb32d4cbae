/**
 * Credit rollup writes of the PostgreSQL store (storage/credit-rollup.ts): one statement for a
 * group's rows whatever their number (`unnest`), in key order, so nodes updating the same rows
 * lock them in the same order and never deadlock on them. A row whose count of credits is back
 * to 0 holds exact zeros.
 */
import type pg from "pg";
import {
  CreditRollupAccumulator,
  creditSumsSql,
  creditTotalsOf,
  type CreditDelta,
  type RollupRowDelta,
} from "../credit-rollup.js";
import type { CreditQuery, CreditTotal } from "../spend-store.js";

/** Writes rows summed (and sorted) by `CreditRollupAccumulator` (the group commit's path). */
export async function writeCreditRollup(
  client: pg.ClientBase,
  rows: readonly RollupRowDelta[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof RollupRowDelta>(k: K) => rows.map((r) => r[k]);
  await client.query(
    `INSERT INTO credit_rollup AS r (workspace_id, model, span, start, platform, campaign, ad, currency, nulls, n, credit, value)
     SELECT ws, m, sp, st, p, c, a, cu, nu, n, cr, v FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::int4[], $10::int8[], $11::float8[], $12::float8[]) WITH ORDINALITY AS t(ws, m, sp, st, p, c, a, cu, nu, n, cr, v, o)
     ORDER BY o
     ON CONFLICT (workspace_id, model, span, start, platform, campaign, ad, currency, nulls) DO UPDATE SET
       n = r.n + excluded.n,
       credit = CASE WHEN r.n + excluded.n = 0 THEN 0 ELSE r.credit + excluded.credit END,
       value = CASE WHEN r.n + excluded.n = 0 THEN 0 ELSE r.value + excluded.value END`,
    [
      col("workspaceId"),
      col("model"),
      col("span"),
      col("start"),
      col("platform"),
      col("campaign"),
      col("ad"),
      col("currency"),
      col("nulls"),
      col("n"),
      col("credit"),
      col("value"),
    ],
  );
}

/** Applies signed deltas now, inside the caller's transaction (e.g. a retraction: the credits' rows with −1). */
export async function applyCreditDeltas(client: pg.ClientBase, deltas: Iterable<CreditDelta>): Promise<void> {
  const acc = new CreditRollupAccumulator();
  acc.addAll(deltas);
  await writeCreditRollup(client, acc.drain());
}

/** Credit sums of [from, to) per key: the rollup's whole blocks and the raw credits at the edges. */
export async function creditTotals(
  client: pg.Pool | pg.ClientBase,
  workspaceId: string,
  q: CreditQuery,
): Promise<CreditTotal[]> {
  const args: unknown[] = [];
  const sql = creditSumsSql(workspaceId, q, (v) => `$${args.push(v)}`);
  return creditTotalsOf((await client.query<CreditTotal>(sql, args)).rows);
}
