/**
 * A streaming CSV reader (RFC 4180: comma-separated, fields optionally in double quotes, `""`
 * for a quote inside one, quoted fields may hold commas and line breaks, CRLF or LF) and the
 * mapping of a header row onto the Touch fields of `POST /v1/clicks`.
 *
 * A malformed record is reported with its line number and skipped; the reader resumes at the
 * next line, so one bad row of a million-row export does not stop the import.
 */
import { CLICK_ID_KINDS } from "../domain/event.js";

/** A record, or why one could not be read; `line` is where it starts (1-based). */
export type CsvItem = { line: number; fields: string[] } | { line: number; error: string };

/** The longest record read; longer ones are almost always an unclosed quote. */
export const MAX_RECORD_CHARS = 65_536;

type Scan =
  | { kind: "record"; fields: string[]; end: number }
  | { kind: "error"; error: string; end: number }
  | { kind: "incomplete" };

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

function countLines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf("\n", from); i !== -1 && i < to; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * A bad record: reading resumes after the first line break at or after `from` (the error's
 * position, or the record's start when a quote was left open and nothing after it can be trusted).
 */
function fail(s: string, from: number, eof: boolean, error: string): Scan {
  const nl = s.indexOf("\n", from);
  if (nl !== -1) return { kind: "error", error, end: nl + 1 };
  return eof ? { kind: "error", error, end: s.length } : { kind: "incomplete" };
}

/** Reads one record starting at `start`; `eof` says no more text will follow. */
function scanRecord(s: string, start: number, eof: boolean): Scan {
  const fields: string[] = [];
  let i = start;
  for (;;) {
    if (s.charCodeAt(i) === QUOTE) {
      const parts: string[] = [];
      let j = i + 1;
      let close: number;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q === -1)
          return eof ? fail(s, start, eof, "a quoted field is never closed") : { kind: "incomplete" };
        parts.push(s.slice(j, q));
        if (q + 1 === s.length && !eof) return { kind: "incomplete" }; // `""` may be split across chunks
        if (s.charCodeAt(q + 1) === QUOTE) {
          parts.push('"');
          j = q + 2;
          continue;
        }
        close = q;
        break;
      }
      fields.push(parts.join(""));
      i = close + 1;
      if (s.charCodeAt(i) === CR) i++;
      if (i >= s.length) {
        if (!eof) return { kind: "incomplete" };
        return { kind: "record", fields, end: i };
      }
      const c = s.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === LF) return { kind: "record", fields, end: i + 1 };
      return fail(
        s,
        i,
        eof,
        'text follows a closing quote (quote the whole field and write a quote inside it as "")',
      );
    }
    // unquoted: up to the next comma or line break; a quote here is malformed
    let k = i;
    for (; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === COMMA || c === LF) break;
      if (c === QUOTE)
        return fail(
          s,
          k,
          eof,
          'a quote inside an unquoted field (quote the whole field and write a quote inside it as "")',
        );
    }
    if (k >= s.length && !eof) return { kind: "incomplete" };
    let end = k;
    if (end > i && s.charCodeAt(end - 1) === CR) end--;
    fields.push(s.slice(i, end));
    if (k < s.length && s.charCodeAt(k) === COMMA) {
      i = k + 1;
      continue;
    }
    return { kind: "record", fields, end: k < s.length ? k + 1 : k };
  }
}

/**
 * Feed it text in chunks of any size; it returns the records completed so far.
 *
 * @example
 * const p = new CsvParser();
 * p.push('time,platform\n1764426811,"goo');   // [{ line: 1, fields: ["time", "platform"] }]
 * p.push('gle"\n');                           // [{ line: 2, fields: ["1764426811", "google"] }]
 * p.end();                                    // []
 */
export class CsvParser {
  private buf = "";
  private line = 1;

  push(chunk: string): CsvItem[] {
    this.buf += chunk;
    return this.drain(false);
  }

  end(): CsvItem[] {
    return this.drain(true);
  }

  private drain(eof: boolean): CsvItem[] {
    const out: CsvItem[] = [];
    const s = this.buf;
    let pos = 0;
    while (pos < s.length) {
      // Blank lines carry no record; a CR is the first half of a CRLF.
      const c = s.charCodeAt(pos);
      if (c === LF || c === CR) {
        if (c === LF) this.line++;
        pos++;
        continue;
      }
      let r = scanRecord(s, pos, eof);
      if (r.kind === "incomplete" && s.length - pos > MAX_RECORD_CHARS) {
        r = fail(
          s,
          pos,
          true,
          `the record is longer than ${MAX_RECORD_CHARS} characters (is a quote left open?)`,
        );
      }
      if (r.kind === "incomplete") break;
      out.push(
        r.kind === "record" ? { line: this.line, fields: r.fields } : { line: this.line, error: r.error },
      );
      this.line += countLines(s, pos, r.end);
      pos = r.end;
    }
    this.buf = s.slice(pos);
    return out;
  }
}

/** The Touch fields of API.md a CSV column may name. */
export const TOUCH_COLUMNS = [
  "time",
  "platform",
  "campaign",
  "ad",
  "touch_id",
  ...CLICK_ID_KINDS,
  "anonymous_id",
  "external_id",
  "email",
  "phone",
] as const;

export const REQUIRED_COLUMNS = ["time", "platform", "campaign"] as const;

/** The Spend fields of API.md a CSV column may name (`tally import spend`). */
export const SPEND_COLUMNS = [
  "date",
  "platform",
  "account",
  "campaign",
  "campaign_id",
  "ad",
  "ad_id",
  "spend",
  "currency",
  "impressions",
  "clicks",
] as const;

/** The CRM order fields of API.md a CSV column may name (`tally import crm`). */
export const CRM_COLUMNS = ["order_id", "time", "value", "currency", "status", "event_name"] as const;

/** Which columns a header may name and must name, and what its rows are called. */
export interface ColumnSpec {
  known: readonly string[];
  required: readonly string[];
  what: string;
}

export const TOUCH_SPEC: ColumnSpec = { known: TOUCH_COLUMNS, required: REQUIRED_COLUMNS, what: "Touch" };
export const SPEND_SPEC: ColumnSpec = {
  known: SPEND_COLUMNS,
  required: ["date", "platform", "campaign", "spend"],
  what: "Spend",
};

export const CRM_SPEC: ColumnSpec = {
  known: CRM_COLUMNS,
  required: ["order_id", "time", "value", "status"],
  what: "CRM order",
};

export interface TouchHeader {
  /** Column index → Touch field, or null for a column that is not one. */
  columns: (string | null)[];
  /** Column names that are not Touch fields: ignored, and reported once. */
  ignored: string[];
}

/** Reads the header row. Throws when a required column is missing or a field is named twice. */
export function touchHeader(fields: string[], spec: ColumnSpec = TOUCH_SPEC): TouchHeader {
  const known = new Set<string>(spec.known);
  const seen = new Set<string>();
  const ignored: string[] = [];
  const columns = fields.map((raw) => {
    const name = raw
      .replace(/^\uFEFF/, "")
      .trim()
      .toLowerCase();
    if (!known.has(name)) {
      ignored.push(raw.trim());
      return null;
    }
    if (seen.has(name)) throw new Error(`the header names the column "${name}" twice`);
    seen.add(name);
    return name;
  });
  const missing = spec.required.filter((c) => !seen.has(c));
  if (missing.length > 0)
    throw new Error(
      `the header row has no ${missing.join(", ")} column (a header names ${spec.what} fields: ${spec.known.join(", ")})`,
    );
  return { columns, ignored };
}

/** A data row as a Touch object (empty cells left out), or why it cannot be one. */
export function touchFromRow(
  header: TouchHeader,
  fields: string[],
): { touch: Record<string, string> } | { error: string } {
  if (fields.length !== header.columns.length)
    return { error: `the row has ${fields.length} fields; the header has ${header.columns.length}` };
  const touch: Record<string, string> = {};
  header.columns.forEach((name, i) => {
    const v = fields[i]!.trim();
    if (name !== null && v !== "") touch[name] = v;
  });
  return { touch };
}
