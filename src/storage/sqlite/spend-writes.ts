/**
 * Spend writes of the embedded store, run on the writer thread inside its group transaction
 * (registered as operations in sqlite-writer-worker.ts): a resolved call is on disk.
 */
import type Database from "better-sqlite3";
import { spendKeyOf, type SpendRecord, type SpendSourceRecord, type SyncResult } from "../spend-store.js";
import { sourceOfRow, type SpendSourceRow } from "../spend-sql.js";

type Stmt = Database.Statement;
const cache = new WeakMap<Database.Database, Map<string, Stmt>>();

function stmt(db: Database.Database, sql: string): Stmt {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map<string, Stmt>()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

const UPSERT = `INSERT INTO spend (workspace_id, date, platform, account, campaign_key, ad_key, campaign, campaign_id,
  ad, ad_id, spend, currency, impressions, clicks, source_id, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (workspace_id, date, platform, account, campaign_key, ad_key) DO UPDATE SET
  campaign = excluded.campaign, campaign_id = excluded.campaign_id, ad = excluded.ad, ad_id = excluded.ad_id,
  spend = excluded.spend, currency = excluded.currency, impressions = excluded.impressions,
  clicks = excluded.clicks, source_id = excluded.source_id, updated_at = excluded.updated_at`;

/** The writer operations of spend, by name (`spend.upsert`, …), for the worker's table. */
export function spendOps(db: Database.Database): Record<string, (...args: never[]) => unknown> {
  return {
    "spend.upsert": (rows: SpendRecord[], now: number): void => {
      const s = stmt(db, UPSERT);
      for (const r of rows) {
        const { campaignKey, adKey } = spendKeyOf(r);
        s.run(
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
      }
    },
    "spend.createSource": (s: SpendSourceRecord): SpendSourceRecord => {
      stmt(
        db,
        `INSERT INTO spend_sources (id, workspace_id, type, name, config_enc, interval_minutes, created_at,
          last_sync_at, last_error, last_rows, next_sync_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
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
      );
      return s;
    },
    "spend.deleteSource": (workspaceId: string, id: string): boolean =>
      stmt(db, "UPDATE spend_sources SET deleted = 1 WHERE id = ? AND workspace_id = ? AND deleted = 0").run(
        id,
        workspaceId,
      ).changes > 0,
    "spend.claimDueSources": (now: number, leaseMs: number): SpendSourceRecord[] => {
      const rows = stmt(
        db,
        "SELECT * FROM spend_sources WHERE deleted = 0 AND next_sync_at <= ? ORDER BY next_sync_at LIMIT 100",
      ).all(now) as SpendSourceRow[];
      const claim = stmt(db, "UPDATE spend_sources SET next_sync_at = ? WHERE id = ?");
      for (const r of rows) claim.run(now + leaseMs, r.id);
      return rows.map(sourceOfRow);
    },
    "spend.recordSync": (id: string, r: SyncResult): void => {
      stmt(
        db,
        `UPDATE spend_sources SET last_sync_at = ?, last_error = ?, last_rows = COALESCE(?, last_rows),
          next_sync_at = ? WHERE id = ?`,
      ).run(r.lastSyncAt, r.lastError, r.lastRows, r.nextSyncAt, id);
    },
  };
}
