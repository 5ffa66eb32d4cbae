/** `Store.spend` of the embedded store: writes on the writer thread, reads on the read connection. */
import type {
  CreditQuery,
  CreditTotal,
  SpendQuery,
  SpendRecord,
  SpendSourceRecord,
  SpendStore,
  SpendTotal,
  SyncResult,
} from "../spend-store.js";
import type { SqliteSpendReads } from "./spend-reads.js";

export type WriterCall = <T>(op: string, args: unknown[], weight?: number) => Promise<T>;
export type ReaderCall = <T>(fn: (r: SqliteSpendReads) => T) => Promise<T>;

export class SqliteSpendStore implements SpendStore {
  constructor(
    private readonly call: WriterCall,
    private readonly read: ReaderCall,
  ) {}

  upsert(rows: SpendRecord[], now: number): Promise<void> {
    return this.call("spend.upsert", [rows, now], Math.max(1, rows.length));
  }
  totals(workspaceId: string, q: SpendQuery): Promise<SpendTotal[]> {
    return this.read((r) => r.totals(workspaceId, q));
  }
  creditTotals(workspaceId: string, q: CreditQuery): Promise<CreditTotal[]> {
    // The credit rollup's sums (tens of milliseconds): on the calling thread, where they cost
    // less than a trip to the report thread and back.
    return this.read((r) => r.creditTotals(workspaceId, q));
  }
  createSource(s: SpendSourceRecord): Promise<SpendSourceRecord> {
    return this.call("spend.createSource", [s]);
  }
  listSources(workspaceId: string | null): Promise<SpendSourceRecord[]> {
    return this.read((r) => r.listSources(workspaceId));
  }
  getSource(workspaceId: string, id: string): Promise<SpendSourceRecord | null> {
    return this.read((r) => r.getSource(workspaceId, id));
  }
  deleteSource(workspaceId: string, id: string): Promise<boolean> {
    return this.call("spend.deleteSource", [workspaceId, id]);
  }
  claimDueSources(now: number, leaseMs: number): Promise<SpendSourceRecord[]> {
    return this.call("spend.claimDueSources", [now, leaseMs]);
  }
  recordSync(_workspaceId: string, id: string, r: SyncResult): Promise<void> {
    return this.call("spend.recordSync", [id, r]);
  }
}
