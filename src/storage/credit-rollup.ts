/**
 * The credit rollup: `SUM(credit)` and `SUM(credit × value)` of the `credits` rows per
 * (workspace, model, time block, key, flagged), a key being (platform, campaign, ad, currency), so the
 * performance and attribution reports read a few rows per key instead of every credit of the
 * period. Written once here for both backends: the blocks, the signed deltas a transaction
 * accumulates where it writes or changes credits, and the reports' query over the rollup and
 * the raw credits. Each backend only writes the rows (`sqlite/credit-rollup.ts`,
 * `postgres/credit-rollup.ts`) and runs the query.
 *
 * Blocks are nested and aligned to the epoch (UTC): an hour, a day, 4 days, 16 days. Every
 * credit counts in one block of each size; a report's range [from, to) is cut into the fewest
 * whole blocks (the largest that fit, `coverRange`) and the raw credits of the partial hours at
 * its edges, so its sums are those of the credits themselves. Hours alone would not do: with
 * thousands of ads a busy hour has about as many (key, hour) rows as credits.
 *
 * Keys are numbered once per workspace (`credit_keys`), so a rollup row is narrow and a report
 * groups integers, then names the few keys it found. `campaign`, `ad` and `currency` may be
 * NULL in `credits`; a unique key cannot hold NULLs, so NULL is stored as "" with a bit in
 * `nulls` (1 campaign, 2 ad, 4 currency), which tells it from a real "".
 */
import { NONE_KEY, type GroupBy, type ModelName } from "../attribution/index.js";
import { DAY_MS, HOUR_MS } from "../domain/time.js";
import type { CreditInsert } from "./conversion-rows.js";
import type { CreditTotal } from "./spend-store.js";

/**
 * Block lengths (ms), smallest first, each a multiple of the one before. The version 12
 * migrations of both schema files write these literally: changing them needs a migration.
 */
export const ROLLUP_SPANS: readonly number[] = Object.freeze([HOUR_MS, DAY_MS, 4 * DAY_MS, 16 * DAY_MS]);

/** A change to the credit sums of one key at one time: + for credits written, − for credits removed. */
export interface CreditDelta {
  workspaceId: string;
  model: string;
  /** The conversion's event_time. */
  time: number;
  platform: string;
  campaign: string | null;
  ad: string | null;
  currency: string | null;
  /** The conversion was flagged by traffic quality (reports may leave it out). */
  flagged: boolean;
  /** How many credit rows (±1 each): a row whose count is back to 0 holds exact zeros. */
  n: number;
  credit: number;
  /** credit × value (value null counts as 0). */
  value: number;
}

/** A credit key as stored in `credit_keys`. */
export interface CreditKey {
  workspaceId: string;
  platform: string;
  campaign: string;
  ad: string;
  currency: string;
  nulls: number;
}

/** One rollup row's change: a block of one span of one key. */
export interface RollupRowDelta {
  model: string;
  span: number;
  start: number;
  key: CreditKey;
  /** 1: credits of flagged conversions, kept apart so a report can leave them out. */
  flagged: number;
  n: number;
  credit: number;
  value: number;
}

/** A key's identity as a string (cache and map keys). */
export const keyString = (k: CreditKey): string =>
  JSON.stringify([k.workspaceId, k.platform, k.campaign, k.ad, k.currency, k.nulls]);

/** The start of the block of length `span` that holds `t` (also for t < 0). */
export function blockStart(t: number, span: number): number {
  return t - (((t % span) + span) % span);
}

/** Signed deltas of credit rows as both backends write them (`creditInserts`): `sign` +1 written, −1 removed. */
export function deltasOfInserts(rows: readonly CreditInsert[], sign: 1 | -1): CreditDelta[] {
  return rows.map((r) => ({
    workspaceId: r[1],
    model: r[2],
    time: r[3],
    platform: r[5],
    campaign: r[6],
    ad: r[7],
    currency: r[11],
    flagged: r[12],
    n: sign,
    credit: sign * r[9],
    value: sign * r[9] * (r[10] ?? 0),
  }));
}

/** A credits row as read back (the columns a delta needs). */
export interface StoredCreditRow {
  workspace_id: string;
  model: string;
  event_time: number;
  platform: string;
  campaign: string | null;
  ad: string | null;
  credit: number;
  value: number | null;
  currency: string | null;
  /** 0/1 (SQLite) or a boolean (PostgreSQL). */
  flagged: number | boolean;
}

export function deltaOfRow(r: StoredCreditRow, sign: 1 | -1): CreditDelta {
  return {
    workspaceId: r.workspace_id,
    model: r.model,
    time: Number(r.event_time),
    platform: r.platform,
    campaign: r.campaign,
    ad: r.ad,
    currency: r.currency,
    flagged: Boolean(r.flagged),
    n: sign,
    credit: sign * r.credit,
    value: sign * r.credit * (r.value ?? 0),
  };
}

/**
 * Sums deltas per rollup row in memory, so a transaction writes each row once, in key order.
 *
 * @example
 * const acc = new CreditRollupAccumulator();
 * acc.addAll(deltasOfInserts(creditInserts(conversion, credits), 1));
 * applyCreditDeltas(db, acc.drain()); // the backend's writer
 */
export class CreditRollupAccumulator {
  private map = new Map<string, RollupRowDelta>();

  add(d: CreditDelta): void {
    const key: CreditKey = {
      workspaceId: d.workspaceId,
      platform: d.platform,
      campaign: d.campaign ?? "",
      ad: d.ad ?? "",
      currency: d.currency ?? "",
      nulls: (d.campaign === null ? 1 : 0) | (d.ad === null ? 2 : 0) | (d.currency === null ? 4 : 0),
    };
    const ks = keyString(key);
    for (const span of ROLLUP_SPANS) {
      const start = blockStart(d.time, span);
      const flagged = d.flagged ? 1 : 0;
      const id = `${d.model}|${span}|${start}|${flagged}|${ks}`;
      const row = this.map.get(id);
      if (row) {
        row.n += d.n;
        row.credit += d.credit;
        row.value += d.value;
      } else
        this.map.set(id, {
          model: d.model,
          span,
          start,
          key,
          flagged,
          n: d.n,
          credit: d.credit,
          value: d.value,
        });
    }
  }

  addAll(deltas: Iterable<CreditDelta>): void {
    for (const d of deltas) this.add(d);
  }

  /** Moves everything `other` holds into this one. */
  merge(other: CreditRollupAccumulator): void {
    for (const [key, d] of other.map) {
      const row = this.map.get(key);
      if (row) {
        row.n += d.n;
        row.credit += d.credit;
        row.value += d.value;
      } else this.map.set(key, d);
    }
    other.map = new Map();
  }

  get size(): number {
    return this.map.size;
  }

  /** Forgets everything (the operation that added it was rolled back). */
  clear(): void {
    this.map = new Map();
  }

  /** The rows that change (a delta that cancelled out is left out); empties this. */
  drain(): RollupRowDelta[] {
    const out: RollupRowDelta[] = [];
    for (const d of this.map.values()) if (d.n !== 0 || d.credit !== 0 || d.value !== 0) out.push(d);
    this.map = new Map();
    return out;
  }
}

/** A run of whole blocks of one span: those starting in [from, to) (null: unbounded). */
export interface BlockRun {
  span: number;
  from: number | null;
  to: number | null;
}

/** How [from, to) is read: runs of rollup blocks, and the raw credits of the partial hours at the edges. */
export interface RangeCover {
  runs: BlockRun[];
  raw: { from: number | null; to: number | null }[];
}

/**
 * Cuts [from, to) (null: unbounded) into the largest aligned blocks that fit, smallest at the
 * edges, and the parts of hours at both ends, read from the raw credits.
 *
 * @example
 * coverRange(Date.UTC(2026, 2, 1, 7, 30), Date.UTC(2026, 2, 31));
 * // raw 07:30–08:00; hours 08:00–24:00 of March 1; days, 4-day and 16-day blocks up to March 31
 */
export function coverRange(from: number | null, to: number | null): RangeCover {
  const ceil = (t: number, s: number) => blockStart(t + s - 1, s);
  const a = from === null ? null : ceil(from, HOUR_MS);
  const b = to === null ? null : blockStart(to, HOUR_MS);
  if (from !== null && to !== null && from >= to) return { runs: [], raw: [] };
  if (a !== null && b !== null && a >= b) return { runs: [], raw: [{ from, to }] };
  const raw: RangeCover["raw"] = [];
  if (from !== null && a !== null && from < a) raw.push({ from, to: a });
  if (to !== null && b !== null && b < to) raw.push({ from: b, to });
  const runs: BlockRun[] = [];
  const cover = (lo: number | null, hi: number | null, level: number): void => {
    if (lo !== null && hi !== null && lo >= hi) return;
    const span = ROLLUP_SPANS[level]!;
    if (level === 0) {
      runs.push({ span, from: lo, to: hi });
      return;
    }
    const A = lo === null ? null : ceil(lo, span);
    const B = hi === null ? null : blockStart(hi, span);
    if (A !== null && B !== null && A >= B) return cover(lo, hi, level - 1);
    if (lo !== null) cover(lo, A, level - 1);
    runs.push({ span, from: A, to: B });
    if (hi !== null) cover(B, hi, level - 1);
  };
  cover(a, b, ROLLUP_SPANS.length - 1);
  return { runs, raw };
}

/** Adds a bound value and returns its placeholder (`?` for SQLite, `$n` for PostgreSQL). */
export type Bind = (v: unknown) => string;

/** The `credit_keys` row of a `credits` row `c` (every credit's key is numbered when it is written). */
const KEY_JOIN = `k.workspace_id = c.workspace_id AND k.platform = c.platform
  AND k.campaign = COALESCE(c.campaign, '') AND k.ad = COALESCE(c.ad, '') AND k.currency = COALESCE(c.currency, '')
  AND k.nulls = (CASE WHEN c.campaign IS NULL THEN 1 ELSE 0 END) + (CASE WHEN c.ad IS NULL THEN 2 ELSE 0 END)
    + (CASE WHEN c.currency IS NULL THEN 4 ELSE 0 END)`;

/**
 * The credit sums of [from, to) per key of `groupBy` and currency, as `CreditTotal` rows: the
 * rollup's whole blocks and the raw credits at the edges, summed per key number, then named
 * and grouped. The SQL is the same on both backends; `bind` makes their placeholders.
 */
export function creditSumsSql(
  workspaceId: string,
  q: { from: number | null; to: number | null; model: ModelName; groupBy: GroupBy; excludeFlagged?: boolean },
  bind: Bind,
): string {
  const { runs, raw } = coverRange(q.from, q.to);
  const parts: string[] = [];
  for (const r of runs) {
    // n = 0: every credit of the key went (reattributed, retracted); the row holds zeros.
    let where = `workspace_id = ${bind(workspaceId)} AND model = ${bind(q.model)} AND span = ${bind(r.span)}`;
    if (r.from !== null) where += ` AND start >= ${bind(r.from)}`;
    if (r.to !== null) where += ` AND start < ${bind(r.to)}`;
    if (q.excludeFlagged) where += " AND flagged = 0";
    parts.push(`SELECT key_id, credit, value FROM credit_rollup WHERE ${where} AND n <> 0`);
  }
  // An empty range still needs one query (of nothing) to answer.
  for (const r of parts.length + raw.length > 0 ? raw : [{ from: 0, to: 0 }]) {
    let where = `c.workspace_id = ${bind(workspaceId)} AND c.model = ${bind(q.model)}`;
    if (r.from !== null) where += ` AND c.event_time >= ${bind(r.from)}`;
    if (r.to !== null) where += ` AND c.event_time < ${bind(r.to)}`;
    if (q.excludeFlagged) where += " AND NOT c.flagged";
    // A retracted conversion's credits left the rollup; they leave the edges too.
    where += " AND NOT c.retracted";
    parts.push(
      `SELECT k.id AS key_id, c.credit AS credit, c.credit * COALESCE(c.value, 0) AS value
       FROM credits c JOIN credit_keys k ON ${KEY_JOIN} WHERE ${where}`,
    );
  }
  const campaign =
    q.groupBy === "platform" ? "NULL" : "CASE WHEN (k.nulls & 1) = 1 THEN NULL ELSE k.campaign END";
  const ad = q.groupBy === "ad" ? "CASE WHEN (k.nulls & 2) = 2 THEN NULL ELSE k.ad END" : "NULL";
  const currency = "CASE WHEN (k.nulls & 4) = 4 THEN NULL ELSE k.currency END";
  const group = [
    "k.platform",
    ...(q.groupBy === "platform" ? [] : [campaign]),
    ...(q.groupBy === "ad" ? [ad] : []),
  ];
  return `SELECT k.platform AS "platform", ${campaign} AS "campaign", ${ad} AS "ad", ${currency} AS "currency",
            SUM(s.credit) AS "conversions", SUM(s.value) AS "value"
          FROM (SELECT key_id, SUM(credit) AS credit, SUM(value) AS value
                FROM (${parts.join("\n UNION ALL ")}) AS u GROUP BY key_id) AS s
          JOIN credit_keys k ON k.id = s.key_id AND k.workspace_id = ${bind(workspaceId)}
          GROUP BY ${group.join(", ")}, ${currency}`;
}

/** Rows of a `creditSumsSql` answer, numbers made numbers (PostgreSQL sums may come as strings). */
export function creditTotalsOf(rows: readonly CreditTotal[]): CreditTotal[] {
  return rows.map((r) => ({ ...r, conversions: Number(r.conversions), value: Number(r.value) }));
}

/**
 * The attribution report's rows from credit sums: per key of `groupBy` (an unknown one is
 * `NONE_KEY`), credit summed and credit × value summed in the workspace currency only; keys
 * with a positive sum, rounded to 6 decimals, most conversions first.
 */
export function attributionRowsOf(
  totals: readonly CreditTotal[],
  groupBy: GroupBy,
  currency: string,
): { key: string; conversions: number; value: number }[] {
  const byKey = new Map<string, { conversions: number; value: number }>();
  for (const t of totals) {
    const key =
      (groupBy === "platform" ? t.platform : groupBy === "campaign" ? t.campaign : t.ad) ?? NONE_KEY;
    let row = byKey.get(key);
    if (!row) byKey.set(key, (row = { conversions: 0, value: 0 }));
    row.conversions += t.conversions;
    if (t.currency === null || t.currency === currency) row.value += t.value;
  }
  return [...byKey]
    .filter(([, r]) => r.conversions > 0)
    .map(([key, r]) => ({ key, conversions: round6(r.conversions), value: round6(r.value) }))
    .sort((a, b) => b.conversions - a.conversions || (a.key < b.key ? -1 : 1));
}

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;
