/**
 * The report thread: a read-only connection of its own that runs the long reports
 * (report-queries.ts) one after another, so the event loop keeps answering ingest while a
 * report reads a month of rows. Started by ReportThread on the first report.
 */
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { reportContext, runReport } from "./report-queries.js";
import type { ReportName } from "./report-names.js";

export interface ReportRequest {
  id: number;
  name: ReportName;
  args: unknown[];
}
export type ReportReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

const port = parentPort;
if (port) {
  const { path } = workerData as { path: string };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const ctx = reportContext(db);
  port.on("message", (m: ReportRequest | { close: true }) => {
    if ("close" in m) {
      db.close();
      port.close();
      return;
    }
    let reply: ReportReply;
    try {
      reply = { id: m.id, ok: true, result: runReport(ctx, m.name, m.args as never) };
    } catch (err) {
      reply = { id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
