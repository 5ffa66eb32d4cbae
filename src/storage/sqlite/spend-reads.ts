/** Spend reads of the embedded store, on the read-only connection beside the writer. */
import type Database from "better-sqlite3";
import type { CreditQuery, CreditTotal, SpendQuery, SpendSourceRecord, SpendTotal } from "../spend-store.js";
import { creditGroupSql, sourceOfRow, spendGroupSql, type SpendSourceRow } from "../spend-sql.js";

export class SqliteSpendReads {
  constructor(private readonly db: Database.Database) {}

  totals(workspaceId: string, q: SpendQuery): SpendTotal[] {
    const g = spendGroupSql(q);
    return this.db
      .prepare(
        `SELECT ${g.select}, currency, SUM(spend) AS spend, SUM(COALESCE(impressions, 0)) AS impressions,
                SUM(COALESCE(clicks, 0)) AS clicks
         FROM spend WHERE workspace_id = ? AND date >= ? AND date <= ? GROUP BY ${g.group}, currency`,
      )
      .all(workspaceId, q.fromDate, q.toDate) as SpendTotal[];
  }

  creditTotals(workspaceId: string, q: CreditQuery): CreditTotal[] {
    const g = creditGroupSql(q.groupBy);
    const args: unknown[] = [workspaceId, q.model];
    let range = "";
    if (q.from !== null) {
      range += " AND event_time >= ?";
      args.push(q.from);
    }
    if (q.to !== null) {
      range += " AND event_time < ?";
      args.push(q.to);
    }
    if (q.excludeFlagged) range += " AND flagged = 0";
    return this.db
      .prepare(
        `SELECT ${g.select}, currency, SUM(credit) AS conversions, SUM(credit * COALESCE(value, 0)) AS value
         FROM credits INDEXED BY credits_performance
         WHERE workspace_id = ? AND model = ? AND retracted = 0${range} GROUP BY ${g.group}, currency`,
      )
      .all(...args) as CreditTotal[];
  }

  listSources(workspaceId: string | null): SpendSourceRecord[] {
    const rows = (
      workspaceId === null
        ? this.db.prepare("SELECT * FROM spend_sources WHERE deleted = 0 ORDER BY created_at, id").all()
        : this.db
            .prepare(
              "SELECT * FROM spend_sources WHERE workspace_id = ? AND deleted = 0 ORDER BY created_at, id",
            )
            .all(workspaceId)
    ) as SpendSourceRow[];
    return rows.map(sourceOfRow);
  }

  getSource(workspaceId: string, id: string): SpendSourceRecord | null {
    const r = this.db
      .prepare("SELECT * FROM spend_sources WHERE id = ? AND workspace_id = ? AND deleted = 0")
      .get(id, workspaceId) as SpendSourceRow | undefined;
    return r ? sourceOfRow(r) : null;
  }
}
