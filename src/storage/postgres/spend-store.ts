/**
 * `Store.spend` of the PostgreSQL store. Upserts run in one transaction (durable when it
 * resolves, `synchronous_commit` on); the due-source claim is one UPDATE … RETURNING, so of
 * several nodes exactly one syncs each source.
 */
import type pg from "pg";
import {
  spendKeyOf,
  type CreditQuery,
  type CreditTotal,
  type SpendQuery,
  type SpendRecord,
  type SpendSourceRecord,
  type SpendStore,
  type SpendTotal,
  type SyncResult,
} from "../spend-store.js";
import { sourceOfRow, spendGroupSql, type SpendSourceRow } from "../spend-sql.js";
import { creditTotals } from "./credit-rollup.js";

import { inTransaction } from "./pg-writes.js";

type Guard = <T>(f: () => Promise<T>) => Promise<T>;

const COLS = 16;

export class PgSpendStore implements SpendStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly guard: Guard,
  ) {}

  upsert(rows: SpendRecord[], now: number): Promise<void> {
    // One statement may not touch a row twice: the last row of a key wins, as it would in order.
    const byKey = new Map<string, SpendRecord>();
    for (const r of rows) {
      const k = spendKeyOf(r);
      byKey.set(JSON.stringify([r.workspaceId, r.date, r.platform, r.account, k.campaignKey, k.adKey]), r);
    }
    const list = [...byKey.values()];
    if (list.length === 0) return Promise.resolve();
    return this.guard(() =>
      inTransaction(this.pool, async (c) => {
        for (let i = 0; i < list.length; i += 500) {
          const chunk = list.slice(i, i + 500);
          const values: unknown[] = [];
          const tuples = chunk.map((r, j) => {
            const { campaignKey, adKey } = spendKeyOf(r);
            values.push(
              r.workspaceId,
              r.date,
              r.platform,
              r.account,
              campaignKey,
              adKey,
              r.campaign,
              r.campaignId,
              r.ad,
              r.adId,
              r.spend,
              r.currency,
              r.impressions,
              r.clicks,
              r.sourceId,
              now,
            );
            return `(${Array.from({ length: COLS }, (_, k) => `$${j * COLS + k + 1}`).join(", ")})`;
          });
          await c.query(
            `INSERT INTO spend (workspace_id, date, platform, account, campaign_key, ad_key, campaign, campaign_id,
               ad, ad_id, spend, currency, impressions, clicks, source_id, updated_at)
             VALUES ${tuples.join(", ")}
             ON CONFLICT (workspace_id, date, platform, account, campaign_key, ad_key) DO UPDATE SET
               campaign = excluded.campaign, campaign_id = excluded.campaign_id, ad = excluded.ad,
               ad_id = excluded.ad_id, spend = excluded.spend, currency = excluded.currency,
               impressions = excluded.impressions, clicks = excluded.clicks, source_id = excluded.source_id,
               updated_at = excluded.updated_at`,
            values,
          );
        }
      }),
    );
  }

  totals(workspaceId: string, q: SpendQuery): Promise<SpendTotal[]> {
    const g = spendGroupSql(q);
    return this.guard(async () => {
      const r = await this.pool.query<SpendTotal>(
        `SELECT ${g.select}, currency, SUM(spend)::float8 AS spend,
                SUM(COALESCE(impressions, 0))::float8 AS impressions, SUM(COALESCE(clicks, 0))::float8 AS clicks
         FROM spend WHERE workspace_id = $1 AND date >= $2 AND date <= $3 GROUP BY ${g.group}, currency`,
        [workspaceId, q.fromDate, q.toDate],
      );
      return r.rows;
    });
  }

  /** From the credit rollup and the raw credits of the partial hours at the edges (storage/credit-rollup.ts). */
  creditTotals(workspaceId: string, q: CreditQuery): Promise<CreditTotal[]> {
    return this.guard(() => creditTotals(this.pool, workspaceId, q));
  }

  createSource(s: SpendSourceRecord): Promise<SpendSourceRecord> {
    return this.guard(async () => {
      await this.pool.query(
        `INSERT INTO spend_sources (id, workspace_id, type, name, config_enc, interval_minutes, created_at,
           last_sync_at, last_error, last_rows, next_sync_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          s.id,
          s.workspaceId,
          s.type,
          s.name,
          s.configEnc,
          s.intervalMinutes,
          s.createdAt,
          s.lastSyncAt,
          s.lastError,
          s.lastRows,
          s.nextSyncAt,
        ],
      );
      return s;
    });
  }

  listSources(workspaceId: string | null): Promise<SpendSourceRecord[]> {
    return this.guard(async () => {
      const r =
        workspaceId === null
          ? await this.pool.query<SpendSourceRow>(
              "SELECT * FROM spend_sources WHERE NOT deleted ORDER BY created_at, id",
            )
          : await this.pool.query<SpendSourceRow>(
              "SELECT * FROM spend_sources WHERE workspace_id = $1 AND NOT deleted ORDER BY created_at, id",
              [workspaceId],
            );
      return r.rows.map(sourceOfRow);
    });
  }

  getSource(workspaceId: string, id: string): Promise<SpendSourceRecord | null> {
    return this.guard(async () => {
      const r = await this.pool.query<SpendSourceRow>(
        "SELECT * FROM spend_sources WHERE id = $1 AND workspace_id = $2 AND NOT deleted",
        [id, workspaceId],
      );
      return r.rows[0] ? sourceOfRow(r.rows[0]) : null;
    });
  }

  deleteSource(workspaceId: string, id: string): Promise<boolean> {
    return this.guard(async () => {
      const r = await this.pool.query(
        "UPDATE spend_sources SET deleted = true WHERE id = $1 AND workspace_id = $2 AND NOT deleted",
        [id, workspaceId],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  claimDueSources(now: number, leaseMs: number): Promise<SpendSourceRecord[]> {
    return this.guard(async () => {
      const r = await this.pool.query<SpendSourceRow>(
        `UPDATE spend_sources SET next_sync_at = $2 WHERE id IN (
           SELECT id FROM spend_sources WHERE NOT deleted AND next_sync_at <= $1
           ORDER BY next_sync_at LIMIT 100 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, now + leaseMs],
      );
      return r.rows.map(sourceOfRow);
    });
  }

  recordSync(workspaceId: string, id: string, s: SyncResult): Promise<void> {
    return this.guard(async () => {
      await this.pool.query(
        `UPDATE spend_sources SET last_sync_at = $2, last_error = $3, last_rows = COALESCE($4, last_rows),
           next_sync_at = $5 WHERE workspace_id = $6 AND id = $1`,
        [id, s.lastSyncAt, s.lastError, s.lastRows, s.nextSyncAt, workspaceId],
      );
    });
  }
}
