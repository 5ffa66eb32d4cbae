/**
 * The grouping columns of the spend sums, shared by both backends (the SQL they need is the
 * same; quoted aliases keep PostgreSQL from lower-casing the field names). The credit sums'
 * are in credit-rollup.ts.
 */
import type { SpendQuery, SpendSourceRecord, SpendSourceType } from "./spend-store.js";

export function spendGroupSql(q: Pick<SpendQuery, "groupBy" | "perDay">): { select: string; group: string } {
  const cols = [q.perDay ? `date AS "date"` : `NULL AS "date"`, `platform AS "platform"`];
  const group = q.perDay ? ["date", "platform"] : ["platform"];
  if (q.groupBy === "platform")
    cols.push(
      `NULL AS "campaignKey"`,
      `NULL AS "campaignName"`,
      `NULL AS "campaignId"`,
      `NULL AS "adKey"`,
      `NULL AS "adName"`,
      `NULL AS "adId"`,
      `NULL AS "account"`,
    );
  else {
    cols.push(
      `campaign_key AS "campaignKey"`,
      `MAX(campaign) AS "campaignName"`,
      `MAX(campaign_id) AS "campaignId"`,
      `MAX(account) AS "account"`,
    );
    group.push("campaign_key");
    if (q.groupBy === "ad") {
      cols.push(`ad_key AS "adKey"`, `MAX(ad) AS "adName"`, `MAX(ad_id) AS "adId"`);
      group.push("ad_key");
    } else cols.push(`NULL AS "adKey"`, `NULL AS "adName"`, `NULL AS "adId"`);
  }
  return { select: cols.join(", "), group: group.join(", ") };
}

/** A spend_sources row as either backend returns it. */
export interface SpendSourceRow {
  id: string;
  workspace_id: string;
  type: string;
  name: string;
  config_enc: string;
  interval_minutes: number;
  created_at: number;
  last_sync_at: number | null;
  last_error: string | null;
  last_rows: number | null;
  next_sync_at: number;
}

export const sourceOfRow = (r: SpendSourceRow): SpendSourceRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  type: r.type as SpendSourceType,
  name: r.name,
  configEnc: r.config_enc,
  intervalMinutes: Number(r.interval_minutes),
  createdAt: Number(r.created_at),
  lastSyncAt: r.last_sync_at === null ? null : Number(r.last_sync_at),
  lastError: r.last_error,
  lastRows: r.last_rows === null ? null : Number(r.last_rows),
  nextSyncAt: Number(r.next_sync_at),
});
