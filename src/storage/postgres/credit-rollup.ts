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

/** Writes rows summed by `CreditRollupAccumulator`, inside the caller's transaction. */
export async function writeCreditRollup(
  client: pg.ClientBase,
  rows: readonly RollupRowDelta[],
): Promise<void> {
  if (rows.length === 0) return;
  const keys = new Map<string, CreditKey>();
  for (const r of rows) keys.set(keyString(r.key), r.key);
  const list = [...keys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  const cols = [
    list.map((k) => k.workspaceId),
    list.map((k) => k.platform),
    list.map((k) => k.campaign),
    list.map((k) => k.ad),
    list.map((k) => k.currency),
    list.map((k) => k.nulls),
  ];
  await client.query(
    `INSERT INTO credit_keys (workspace_id, platform, campaign, ad, currency, nulls)
     SELECT * FROM unnest(${KEY_ARRAYS}) ON CONFLICT DO NOTHING`,
    cols,
  );
  const found = await client.query<CreditKey & { id: number }>(
    `SELECT k.id, k.workspace_id AS "workspaceId", k.platform, k.campaign, k.ad, k.currency, k.nulls
     FROM credit_keys k JOIN unnest(${KEY_ARRAYS}) AS t(ws, p, c, a, cu, nu)
       ON k.workspace_id = t.ws AND k.platform = t.p AND k.campaign = t.c AND k.ad = t.a AND k.currency = t.cu
         AND k.nulls = t.nu`,
    cols,
  );
  const ids = new Map(found.rows.map((k) => [keyString(k), Number(k.id)]));
  const idOf = (k: CreditKey): number => {
    const id = ids.get(keyString(k));
    if (id === undefined) throw new Error("a credit key was not numbered");
    return id;
  };
  const sorted = rows
    .map((r) => ({ r, id: idOf(r.key) }))
    .sort(
      (a, b) =>
        (a.r.key.workspaceId < b.r.key.workspaceId
          ? -1
          : a.r.key.workspaceId > b.r.key.workspaceId
            ? 1
            : 0) ||
        (a.r.model < b.r.model ? -1 : a.r.model > b.r.model ? 1 : 0) ||
        a.r.span - b.r.span ||
        a.r.start - b.r.start ||
        a.id - b.id ||
        a.r.flagged - b.r.flagged,
    );
  await client.query(
    `INSERT INTO credit_rollup AS r (workspace_id, model, span, start, key_id, flagged, n, credit, value)
     SELECT ws, m, sp, st, k, f, n, cr, v FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[],
       $6::int4[], $7::int8[], $8::float8[], $9::float8[]) WITH ORDINALITY AS t(ws, m, sp, st, k, f, n, cr, v, o)
     ORDER BY o
     ON CONFLICT (workspace_id, model, span, start, key_id, flagged) DO UPDATE SET
       n = r.n + excluded.n,
       credit = CASE WHEN r.n + excluded.n = 0 THEN 0 ELSE r.credit + excluded.credit END,
       value = CASE WHEN r.n + excluded.n = 0 THEN 0 ELSE r.value + excluded.value END`,
    [
      sorted.map((x) => x.r.key.workspaceId),
      sorted.map((x) => x.r.model),
      sorted.map((x) => x.r.span),
      sorted.map((x) => x.r.start),
      sorted.map((x) => x.id),
      sorted.map((x) => x.r.flagged),
      sorted.map((x) => x.r.n),
      sorted.map((x) => x.r.credit),
      sorted.map((x) => x.r.value),
    ],
  );
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
