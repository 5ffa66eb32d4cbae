/**
 * `tally import clicks|impressions|spend|crm <file.csv|file.ndjson>`: streams an ad platform's
 * click, impression or spend export, or the CRM's orders, into a running server through
 * `POST /v1/clicks` (`/v1/impressions`, `/v1/spend`, `/v1/crm/orders`), in batches of 1000 with a few requests in flight, and prints what the server
 * made of every row, with a summary of the rejections by reason.
 *
 * The file is never held in memory: rows are read as the batches in flight leave room, so a
 * file of any size imports in constant memory.
 */
import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { loadConfig } from "../config/config.js";
import { ApiClient, ApiError, failureExitCode, serverUrl } from "./api-client.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";
import { intFlag, takeSwitch } from "./flags.js";
import {
  CRM_SPEC,
  CsvParser,
  SPEND_SPEC,
  TOUCH_SPEC,
  touchFromRow,
  touchHeader,
  type TouchHeader,
} from "./csv.js";
import { processIo, println, type CliIo } from "./io.js";
import { formatDuration, Progress } from "./progress.js";

export type TouchKind = "clicks" | "impressions" | "spend" | "crm";

const PATHS: Record<TouchKind, string> = {
  clicks: "/v1/clicks",
  impressions: "/v1/impressions",
  spend: "/v1/spend",
  crm: "/v1/crm/orders",
};
const SPECS = { clicks: TOUCH_SPEC, impressions: TOUCH_SPEC, spend: SPEND_SPEC, crm: CRM_SPEC };
/** CSV cells that read as numbers go as numbers, per kind (the rest as sent, for the server to refuse). */
const NUMERIC: Record<TouchKind, readonly string[]> = {
  clicks: [],
  impressions: [],
  spend: ["spend", "impressions", "clicks"],
  crm: ["value", "time"],
};
export type FileFormat = "csv" | "ndjson";

/** A row of the file: the Touch to send, or why it could not be read. */
export type Row =
  | { line: number; touch: Record<string, unknown> }
  | { line: number; error: { code: string; message: string } };

export interface ImportSummary {
  kind: TouchKind;
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Rejections by error code: how many, the first few line numbers, and one message. */
  reasons: Record<string, { count: number; lines: number[]; message: string }>;
  elapsedMs: number;
}

export interface ImportOptions {
  path: string;
  kind: TouchKind;
  format: FileFormat;
  client: ApiClient;
  batchSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  progress?: Progress | null;
  /** Told once about header columns that are not Touch fields. */
  onIgnoredColumns?: (names: string[]) => void;
}

/** Lines listed per rejection reason in the summary. */
export const LINES_PER_REASON = 5;

export function formatOf(path: string): FileFormat | null {
  if (/\.csv$/i.test(path)) return "csv";
  if (/\.(nd)?jsonl?$/i.test(path)) return "ndjson";
  return null;
}

/** The file's rows, in order; `onBytes` is told how much of the file has been read. */
export async function* readRows(
  path: string,
  format: FileFormat,
  onBytes: (n: number) => void,
  onHeader?: (h: TouchHeader) => void,
  kind: TouchKind = "clicks",
): AsyncGenerator<Row> {
  const decoder = new StringDecoder("utf8");
  const csv = new CsvParser();
  let header: TouchHeader | null = null;
  let pending = "";
  let line = 0;
  let bytes = 0;

  function* csvRows(items: ReturnType<CsvParser["push"]>): Generator<Row> {
    for (const item of items) {
      if ("error" in item) {
        yield { line: item.line, error: { code: "malformed_csv", message: item.error } };
        continue;
      }
      if (header === null) {
        try {
          header = touchHeader(item.fields, SPECS[kind]);
        } catch (err) {
          throw new UsageError(`${basename(path)}: ${(err as Error).message}`);
        }
        onHeader?.(header);
        continue;
      }
      const t = touchFromRow(header, item.fields);
      yield "error" in t
        ? { line: item.line, error: { code: "wrong_field_count", message: t.error } }
        : { line: item.line, touch: numbers(t.touch, NUMERIC[kind]) };
    }
  }

  function* jsonRows(text: string, eof: boolean): Generator<Row> {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf("\n")) !== -1 || (eof && pending.length > 0)) {
      const raw = nl === -1 ? pending : pending.slice(0, nl);
      pending = nl === -1 ? "" : pending.slice(nl + 1);
      line++;
      if (raw.trim() === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch (err) {
        yield {
          line,
          error: { code: "invalid_json", message: `not valid JSON: ${(err as Error).message.slice(0, 120)}` },
        };
        continue;
      }
      if (typeof v !== "object" || v === null || Array.isArray(v))
        yield { line, error: { code: "invalid_json", message: "the line is not a JSON object" } };
      else yield { line, touch: v as Record<string, unknown> };
    }
  }

  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    onBytes(bytes);
    const text = decoder.write(buf);
    if (format === "csv") yield* csvRows(csv.push(text));
    else yield* jsonRows(text, false);
  }
  const rest = decoder.end();
  if (format === "csv") {
    yield* csvRows(csv.push(rest));
    yield* csvRows(csv.end());
    if (header === null)
      throw new UsageError(
        `${basename(path)} is empty: a CSV import starts with a header row naming the ${SPECS[kind].what} fields`,
      );
  } else yield* jsonRows(rest, true);
}

/** CSV cells are text: the kind's numeric columns that read as numbers go as numbers (the rest as sent, for the server to refuse). */
function numbers(row: Record<string, string>, keys: readonly string[]): Record<string, unknown> {
  if (keys.length === 0) return row;
  const out: Record<string, unknown> = { ...row };
  for (const k of keys) {
    const v = row[k];
    if (v !== undefined && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) out[k] = Number(v);
  }
  return out;
}

interface SentRow {
  line: number;
  touch: Record<string, unknown>;
}

interface TouchResponse {
  results: (
    | { index: number; status: "accepted" | "duplicate"; id: string }
    | { index: number; status: "rejected"; error: { code: string; message: string; field?: string } }
  )[];
}

/** Streams the file into the server; resolves with the summary, rejects when the server cannot be used. */
export async function runImport(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const batchSize = opts.batchSize ?? 1000;
  const concurrency = opts.concurrency ?? 4;
  const total = statSync(opts.path).size;
  const s: ImportSummary = {
    kind: opts.kind,
    rows: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    reasons: {},
    elapsedMs: 0,
  };
  let bytes = 0;

  const reject = (line: number, code: string, message: string) => {
    s.rejected++;
    const r = (s.reasons[code] ??= { count: 0, lines: [], message });
    r.count++;
    if (r.lines.length < LINES_PER_REASON) r.lines.push(line);
  };
  const progress = () =>
    opts.progress?.update(s.accepted + s.duplicates + s.rejected, total > 0 ? bytes / total : 1);

  // 413 (a server with a smaller batch or body limit): halve and send the halves.
  const send = async (rows: SentRow[]): Promise<void> => {
    let res: TouchResponse;
    try {
      res = await opts.client.request<TouchResponse>("POST", PATHS[opts.kind], {
        data: rows.map((r) => r.touch),
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 413 && rows.length > 1) {
        const half = Math.ceil(rows.length / 2);
        await send(rows.slice(0, half));
        await send(rows.slice(half));
        return;
      }
      throw err;
    }
    for (const r of res.results) {
      const row = rows[r.index]!;
      // Spend and CRM rejections are told apart by field too: "invalid_field spend", "invalid_field status".
      if (r.status === "rejected")
        reject(
          row.line,
          (opts.kind === "spend" || opts.kind === "crm") && r.error.field
            ? `${r.error.code} ${r.error.field}`
            : r.error.code,
          r.error.message,
        );
      else if (r.status === "accepted") s.accepted++;
      else s.duplicates++;
    }
    progress();
  };

  const inflight = new Set<Promise<void>>();
  let failure: { err: unknown } | null = null;
  const launch = async (rows: SentRow[]) => {
    const p: Promise<void> = send(rows)
      .catch((err: unknown) => {
        failure ??= { err };
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
    while (inflight.size >= concurrency) await Promise.race(inflight);
    if (failure) throw failure.err;
  };

  let batch: SentRow[] = [];
  const rows = readRows(
    opts.path,
    opts.format,
    (n) => (bytes = n),
    (h) => {
      if (h.ignored.length > 0) opts.onIgnoredColumns?.(h.ignored);
    },
    opts.kind,
  );
  for await (const row of rows) {
    s.rows++;
    if ("error" in row) {
      reject(row.line, row.error.code, row.error.message);
      progress();
      continue;
    }
    batch.push(row);
    if (batch.length >= batchSize) {
      await launch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await launch(batch);
  await Promise.all(inflight);
  if (failure) throw (failure as { err: unknown }).err;
  s.elapsedMs = Date.now() - started;
  opts.progress?.update(s.accepted + s.duplicates + s.rejected, 1);
  opts.progress?.finish();
  return s;
}

const n = (x: number) => x.toLocaleString("en-US");

export function formatSummary(s: ImportSummary, file: string): string[] {
  const rate = s.elapsedMs > 0 ? (s.rows * 1000) / s.elapsedMs : s.rows;
  const w = Math.max(...[s.accepted, s.duplicates, s.rejected].map((x) => n(x).length));
  const out = [
    `Imported ${s.kind} from ${file}: ${n(s.rows)} rows in ${formatDuration(s.elapsedMs)} (${n(Math.round(rate))} rows/s)`,
    `  accepted    ${n(s.accepted).padStart(w)}`,
    ...(s.kind === "spend" || s.kind === "crm"
      ? []
      : [`  duplicates  ${n(s.duplicates).padStart(w)}   (a touch_id or click id the server already had)`]),
    `  rejected    ${n(s.rejected).padStart(w)}`,
  ];
  const reasons = Object.entries(s.reasons).sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  const cw = Math.max(0, ...reasons.map(([c]) => c.length));
  for (const [code, r] of reasons) {
    const more = r.count > r.lines.length ? ", …" : "";
    out.push(
      `    ${code.padEnd(cw)}  ${n(r.count).padStart(w)}  line${r.lines.length > 1 ? "s" : ""} ${r.lines.join(", ")}${more}: ${r.message}`,
    );
  }
  return out;
}

const USAGE =
  "usage: tally import clicks|impressions|spend|crm <file.csv|file.ndjson> [--impressions] [--url URL] [--key sk_…] [--format csv|ndjson] [--batch 1000] [--concurrency 4]";

export async function importCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const err = (line: string) => println(io.stderr, line);
  try {
    const rest = [...argv];
    const impressions = takeSwitch(rest, "impressions");
    const args = parseArgs(rest, ["url", "key", "format", "batch", "concurrency"]);
    const [what, path, extra] = args.positionals;
    if (
      (what !== "clicks" && what !== "impressions" && what !== "spend" && what !== "crm") ||
      !path ||
      extra !== undefined
    )
      throw new UsageError(USAGE);
    const kind: TouchKind =
      what === "spend" || what === "crm"
        ? what
        : impressions || what === "impressions"
          ? "impressions"
          : "clicks";
    const fmtFlag = stringFlag(args, "format");
    if (fmtFlag !== undefined && fmtFlag !== "csv" && fmtFlag !== "ndjson")
      throw new UsageError("--format must be csv or ndjson");
    const format = fmtFlag ?? formatOf(path);
    if (!format)
      throw new UsageError(
        `cannot tell the format of ${path} from its name: use --format csv or --format ndjson`,
      );
    const batchSize = intFlag(args, "batch", 1000, 1, 1000);
    const concurrency = intFlag(args, "concurrency", 4, 1, 64);
    const key = stringFlag(args, "key") ?? io.env.TALLY_SECRET_KEY;
    if (!key) throw new UsageError("give the workspace's secret key with --key sk_… or TALLY_SECRET_KEY");
    try {
      statSync(path);
    } catch {
      throw new UsageError(`cannot read ${path}`);
    }

    const client = new ApiClient({
      baseUrl: serverUrl(stringFlag(args, "url"), io.env, loadConfig(io.env)),
      key,
    });
    // One call before reading the file: a wrong address or key fails at once, with its own exit code.
    const ws = await client.request<{ id: string; name: string }>("GET", "/v1/workspace", undefined, {
      retries: 0,
    });
    err(`Importing ${kind} from ${path} into workspace ${ws.name} (${ws.id}) at ${client.baseUrl}`);
    const summary = await runImport({
      path,
      kind,
      format,
      client,
      batchSize,
      concurrency,
      progress: new Progress({ stream: io.stderr, label: `import ${kind}` }),
      onIgnoredColumns: (names) =>
        err(`tally: ignoring columns that are not ${SPECS[kind].what} fields: ${names.join(", ")}`),
    });
    for (const line of formatSummary(summary, path)) println(io.stdout, line);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`tally: ${e.message}`);
      return 2;
    }
    const code = failureExitCode(e, err);
    if (code !== null) return code;
    throw e;
  }
}
