/**
 * The reports the report thread runs, as signatures only (report-queries.ts implements them):
 * the stores that ask for a report import this, not the implementations, so nothing imports
 * in a circle.
 */
import type { ExperimentCounts, ExperimentQuery } from "../../experiments/types.js";
import type { EventTimeBucket, MonitoringStore } from "../monitoring-store.js";
import type { QualityQuery, QualityReadout } from "../quality-rows.js";
import type { DrillQuery, DrillRow, ReconcileQuery, ReconcileSums } from "../reconciliation-store.js";
import type { ReportQuery, ReportResult } from "../storage.js";

export interface ReportSignatures {
  attribution(workspaceId: string, q: ReportQuery): ReportResult;
  quality(workspaceId: string, q: QualityQuery): QualityReadout;
  experimentCounts(workspaceId: string, q: ExperimentQuery): ExperimentCounts | null;
  reconcile(workspaceId: string, q: ReconcileQuery): ReconcileSums[];
  drill(workspaceId: string, q: DrillQuery): DrillRow[];
  conversionsByEventTime(...a: Parameters<MonitoringStore["conversionsByEventTime"]>): EventTimeBucket[];
}

export type ReportName = keyof ReportSignatures;
export type ReportArgs<K extends ReportName> = Parameters<ReportSignatures[K]>;
export type ReportResultOf<K extends ReportName> = ReturnType<ReportSignatures[K]>;

/** How a store asks the report thread for one (ReportThread.run). */
export type ReportCall = <K extends ReportName>(name: K, args: ReportArgs<K>) => Promise<ReportResultOf<K>>;
