/**
 * What the fake reporting APIs hold: daily spend per campaign and ad, in the platform's own
 * units, rendered by each fake in its platform's shape (test/fixtures/platform-spend-apis.md).
 */
export interface FakeSpendRow {
  date: string; // YYYY-MM-DD
  campaignId: string;
  campaignName: string;
  adId: string;
  adName: string;
  /** Major units of the account currency. */
  spend: number;
  impressions: number;
  clicks: number;
}

/** The rows whose date is in [since, until]. */
export function inRange(rows: readonly FakeSpendRow[], since: string, until: string): FakeSpendRow[] {
  return rows.filter((r) => r.date >= since && r.date <= until);
}
