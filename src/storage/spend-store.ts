/**
 * What the store keeps of ad spend (`POST /v1/spend`, `tally import spend`, spend sources) and
 * what the performance report reads: spend totals by key, and attribution credit totals by
 * key. Both backends implement it (`sqlite/spend-*.ts`, `postgres/spend-*.ts`) and expose it
 * as `Store.spend`; the contract suite `spend/spend-store.contract.test.ts` runs against both.
 *
 * @example
 * await store.spend.upsert([{ workspaceId, date: "2026-03-01", platform: "meta", account: "",
 *   campaign: "Brand", campaignId: null, ad: null, adId: null, spend: 53.39, currency: "USD",
 *   impressions: 3613, clicks: 41, sourceId: null }], Date.now());
 * await store.spend.totals(workspaceId, { fromDate: "2026-03-01", toDate: "2026-03-31", groupBy: "campaign", perDay: false });
 */
import type { GroupBy, ModelName } from "../attribution/index.js";

/** One day of spend of one (platform, account, campaign, ad). */
export interface SpendRecord {
  workspaceId: string;
  /** YYYY-MM-DD, a day in the workspace's timezone. */
  date: string;
  /** Lower-cased, as touches are (`google`, `meta`, `tiktok`, `linkedin`, …). */
  platform: string;
  /** The ad account; "" when not given. */
  account: string;
  /** The campaign's name (or, when only an id is known, its id). */
  campaign: string;
  /** The platform's campaign id, when known: the row is keyed by it instead of the name. */
  campaignId: string | null;
  ad: string | null;
  adId: string | null;
  spend: number;
  currency: string;
  impressions: number | null;
  clicks: number | null;
  /** The spend source that pulled it; null for rows sent or imported. */
  sourceId: string | null;
}

/**
 * The identity of a spend row: (date, platform, account, campaign, ad), where a campaign or
 * ad with an id is keyed by its id (a renamed campaign replaces its own rows) and otherwise by
 * its name. Sending the same key again replaces the row.
 */
export function spendKeyOf(r: Pick<SpendRecord, "campaign" | "campaignId" | "ad" | "adId">): {
  campaignKey: string;
  adKey: string;
} {
  return { campaignKey: r.campaignId ?? r.campaign, adKey: r.adId ?? r.ad ?? "" };
}

export interface SpendQuery {
  /** First day included (YYYY-MM-DD). */
  fromDate: string;
  /** Last day included (YYYY-MM-DD). */
  toDate: string;
  groupBy: GroupBy;
  /** Keep days apart (rules weigh each day by its hours inside a trailing window). */
  perDay: boolean;
}

/**
 * Spend summed per key of `groupBy` (platform; platform + campaign; platform + campaign + ad)
 * and currency, with the names and ids seen for it. Campaign and ad are the row keys (id, else
 * name); `campaignName`/`adName` the latest name stored for that key.
 */
export interface SpendTotal {
  /** Only with `perDay`. */
  date: string | null;
  platform: string;
  campaignKey: string | null;
  campaignName: string | null;
  campaignId: string | null;
  adKey: string | null;
  adName: string | null;
  adId: string | null;
  /** One of the ad accounts of the key ("" none); null when grouping by platform. */
  account: string | null;
  currency: string;
  spend: number;
  impressions: number;
  clicks: number;
}

export interface CreditQuery {
  from: number | null;
  to: number | null;
  model: ModelName;
  groupBy: GroupBy;
  /** `flagged_conversions: "exclude"`: leave flagged conversions out. */
  excludeFlagged?: boolean;
}

/** Attribution credit of conversions with event_time in [from, to), per key and currency. */
export interface CreditTotal {
  platform: string;
  /** The touch's campaign (null when unknown); null too when grouping by platform. */
  campaign: string | null;
  /** The touch's ad; null when unknown or when not grouping by ad. */
  ad: string | null;
  /** The conversion's currency; null: the workspace's. */
  currency: string | null;
  conversions: number;
  value: number;
}

export type SpendSourceType = "meta" | "google_ads" | "tiktok" | "linkedin";

export interface SpendSourceRecord {
  id: string;
  workspaceId: string;
  type: SpendSourceType;
  name: string;
  /** Encrypted JSON of the config (credentials included); decrypted only by spend/. */
  configEnc: string;
  intervalMinutes: number;
  createdAt: number;
  lastSyncAt: number | null;
  /** The platform's (or the network's) error of the last sync; null when it went through. */
  lastError: string | null;
  /** Rows stored by the last sync that went through. */
  lastRows: number | null;
  nextSyncAt: number;
}

export interface SyncResult {
  lastSyncAt: number;
  lastError: string | null;
  lastRows: number | null;
  nextSyncAt: number;
}

export interface SpendStore {
  /** Stores rows, each replacing the row of its key; durable on resolve. */
  upsert(rows: SpendRecord[], now: number): Promise<void>;
  totals(workspaceId: string, q: SpendQuery): Promise<SpendTotal[]>;
  creditTotals(workspaceId: string, q: CreditQuery): Promise<CreditTotal[]>;

  createSource(s: SpendSourceRecord): Promise<SpendSourceRecord>;
  /** Sources not deleted; of every workspace when `workspaceId` is null. */
  listSources(workspaceId: string | null): Promise<SpendSourceRecord[]>;
  getSource(workspaceId: string, id: string): Promise<SpendSourceRecord | null>;
  deleteSource(workspaceId: string, id: string): Promise<boolean>;
  /**
   * Claims the sources due at `now` (next_sync_at ≤ now) by moving their next_sync_at to
   * `now + leaseMs`: of several nodes, one syncs each.
   */
  claimDueSources(now: number, leaseMs: number): Promise<SpendSourceRecord[]>;
  recordSync(workspaceId: string, id: string, r: SyncResult): Promise<void>;
}
