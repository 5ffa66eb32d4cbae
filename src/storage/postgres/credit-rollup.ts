/**
 * Credit rollup writes of the PostgreSQL store (storage/credit-rollup.ts), three statements
 * for a group's rows whatever their number (`unnest`): number the keys not numbered yet, read
 * the keys' numbers (a statement of its own, so it sees a key another node numbered
 * meanwhile), upsert the rows. Keys and rows go in a stable order, so nodes writing the same
 * ones lock them in the same order and never deadlock on them. A row whose count of credits is
 * back to 0 holds exact zeros.
 */
import type pg from "pg";
import {
  creditSumsSql,
  creditTotalsOf,
  keyString,
  type CreditKey,
  type RollupRowDelta,
} from "../credit-rollup.js";
import type { CreditQuery, CreditTotal } from "../spend-store.js";

const KEY_ARRAYS = "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[]";

/**
 * Writes rows summed by `CreditRollupAccumulator`, inside the caller's transaction. Nothing
 * is read back: the upsert finds the keys' numbers itself (a statement after the keys'
 * insert, so it sees a key another node numbered meanwhile), so both statements can be sent
 * in one round trip (pipeline mode) with the rest of a group's writes. Keys and rows go in a
 * stable order; a row whose key was not numbered fails the statement (a failed cast).
 */
export async function writeCreditRollup(
  client: Pick<pg.ClientBase, "query">,
  rows: readonly RollupRowDelta[],
): Promise<void> {
  if (rows.length === 0) return;
  const keys = new Map<string, CreditKey>();
  for (const r of rows) keys.set(keyString(r.key), r.key);
  const list = [...keys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  const insertKeys = client.query(
    `INSERT INTO credit_keys (workspace_id, platform, campaign, ad, currency, nulls)
     SELECT * FROM unnest(${KEY_ARRAYS}) ON CONFLICT DO NOTHING`,
    [
      list.map((k) => k.workspaceId),
      list.map((k) => k.platform),
      list.map((k) => k.campaign),
      list.map((k) => k.ad),
      list.map((k) => k.currency),
      list.map((k) => k.nulls),
    ],
  );
  const upsert = client.query(
    `WITH up AS (
       INSERT INTO credit_rollup AS r (workspace_id, model, span, start, key_id, flagged, n, credit, value)
       SELECT t.ws, t.m, t.sp, t.st, k.id, t.f, t.n, t.cr, t.v
       FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::int4[], $10::int4[], $11::int8[], $12::float8[], $13::float8[])
         AS t(ws, m, sp, st, p, c, a, cu, nu, f, n, cr, v)
       JOIN credit_keys k ON k.workspace_id = t.ws AND k.platform = t.p AND k.campaign = t.c AND k.ad = t.a
         AND k.currency = t.cu AND k.nulls = t.nu
       ORDER BY t.ws, t.m, t.sp, t.st, k.id, t.f
       ON CONFLICT (workspace_id, model, span, start, key_id, flagged) DO UPDATE SET
         n = r.n + excluded.n,
         credit = CASE WHEN r.n + excluded.n = 0 THEN 0 ELSE r.credit + excluded.credit END,
         value = CASE WHEN r.n + excluded.n = 0 THEN 0 ELSE r.value + excluded.value END
       RETURNING 1)
     SELECT (CASE WHEN count(*) = $14 THEN '1' ELSE 'a credit key was not numbered: ' || count(*) END)::int FROM up`,
    [
      rows.map((r) => r.key.workspaceId),
      rows.map((r) => r.model),
      rows.map((r) => r.span),
      rows.map((r) => r.start),
      rows.map((r) => r.key.platform),
      rows.map((r) => r.key.campaign),
      rows.map((r) => r.key.ad),
      rows.map((r) => r.key.currency),
      rows.map((r) => r.key.nulls),
      rows.map((r) => r.flagged),
      rows.map((r) => r.n),
      rows.map((r) => r.credit),
      rows.map((r) => r.value),
      rows.length,
    ],
  );
  await insertKeys;
  await upsert;
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
