/**
 * The reports that read many rows (seconds at a million conversions), by name: what the
 * report thread (report-worker.ts) runs on its own read-only connection so that the event
 * loop keeps answering ingest while a dashboard asks for a month. Each entry is a plain
 * function of the thread's readers and structured-cloneable arguments. Reads of the rollups
 * (metrics, the performance report's credit sums: tens of milliseconds) and small reads (a
 * workspace, a page of conversions) stay on the calling thread's reader, where they cost less
 * than the trip to the thread and back (measured: the performance report 55 → 72 ms when its
 * credit sums went through the thread).
 */
import type Database from "better-sqlite3";
import { qualityReadout } from "./quality-reads.js";
import { experimentCounts } from "./experiments.js";
import { drillSqlite, reconcileSqlite } from "./reconciliation-store.js";
import { SqliteReader } from "./sqlite-reader.js";
import { SqliteMonitoringReads } from "./sqlite-monitoring.js";
import type { ReportArgs, ReportName, ReportResultOf } from "./report-names.js";

/** The readers of one connection, built once per thread (each caches its statements). */
export interface ReportContext {
  db: Database.Database;
  reader: SqliteReader;
  monitoring: SqliteMonitoringReads;
}

export function reportContext(db: Database.Database): ReportContext {
  return {
    db,
    reader: new SqliteReader(db),
    monitoring: new SqliteMonitoringReads(db),
  };
}

/** Each report of `ReportSignatures`, with the thread's readers first. */
export const REPORTS: {
  [K in ReportName]: (c: ReportContext, ...args: ReportArgs<K>) => ReportResultOf<K>;
} = {
  attribution: (c, workspaceId, q) => c.reader.attributionReport(workspaceId, q),
  quality: (c, workspaceId, q) => qualityReadout(c.db, workspaceId, q),
  experimentCounts: (c, workspaceId, q) => experimentCounts(c.db, workspaceId, q),
  reconcile: (c, workspaceId, q) => reconcileSqlite(c.db, workspaceId, q),
  drill: (c, workspaceId, q) => drillSqlite(c.db, workspaceId, q),
  conversionsByEventTime: (c, ...args) => c.monitoring.conversionsByEventTime(...args),
};

/** Runs a report by name on a context: the thread's dispatch, and a direct call for tests. */
export function runReport<K extends ReportName>(
  c: ReportContext,
  name: K,
  args: ReportArgs<K>,
): ReportResultOf<K> {
  const fn = REPORTS[name] as (c: ReportContext, ...a: unknown[]) => ReportResultOf<K>;
  return fn(c, ...args);
}
