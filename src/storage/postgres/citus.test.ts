/**
 * The SQL PostgreSQL runs is ready for Citus (docs/scaling.md, "Past one primary"), read from
 * the source the way the schema test reads the primary keys — the PostgreSQL store's files and
 * the SQL both backends share:
 *
 * - every join of two workspace tables names the workspace on both sides, so the join stays on
 *   one shard (one that leaves it out works on one node and fails, or fans out, once the tables
 *   are distributed);
 * - every statement on a workspace table names the workspace in its WHERE, so it is routed to
 *   the one shard holding the workspace (one by id alone is correct there too but runs on every
 *   shard). The statements that scan every workspace on purpose (purges, due scans, start-up
 *   loads) are listed in ACROSS_WORKSPACES with their reason.
 *
 * Reference tables (GLOBAL_TABLES) and row sources (`unnest`, `LATERAL`, a subquery, a
 * statement's own CTEs) are not workspace tables.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GLOBAL_TABLES } from "./schema.js";

const here = join(import.meta.dirname);
const SOURCES = [
  ...readdirSync(here).map((f) => join(here, f)),
  ...readdirSync(join(here, "..")).map((f) => join(here, "..", f)),
].filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith("schema.ts"));

/** SQLite-only statements kept in a shared file (their dialect tells). */
const SQLITE_ONLY = /INDEXED BY|\browid\b/;

// JOIN <table> [AS] <alias> ON <condition up to the next clause>
const JOIN_RE =
  /\bJOIN\s+(?!LATERAL\b|unnest\b|\()([a-z_]+)(?:\s+(?:AS\s+)?(?!ON\b)[a-z_]+)?\s+ON\b([\s\S]*?)(?=\bJOIN\b|\bWHERE\b|\bGROUP\b|\bORDER\b|\bLIMIT\b|`|$)/gi;

/** A file's SQL with its `${CONSTANT}` fragments written out (`const CONSTANT = \`…\``). */
function expanded(source: string): string {
  const constants = new Map<string, string>();
  for (const m of source.matchAll(/const ([A-Z_]+) = `([^`]*)`/g)) constants.set(m[1]!, m[2]!);
  return source.replace(/\$\{([A-Z_]+)\}/g, (x, name: string) => constants.get(name) ?? x);
}

/** Common table expressions: a statement's own rows, already of one workspace. */
function cteNames(sql: string): Set<string> {
  return new Set(
    [...sql.matchAll(/(?:\bWITH|,)\s*([a-z_]+)\s+AS\s+(?:(?:NOT\s+)?MATERIALIZED\s*)?\(/gi)].map(
      (m) => m[1]!,
    ),
  );
}

export function joinsWithoutWorkspace(source: string): string[] {
  const sql = expanded(source);
  const ctes = cteNames(sql);
  const out: string[] = [];
  for (const m of sql.matchAll(JOIN_RE)) {
    const [whole, table, on] = m as unknown as [string, string, string];
    if (table in GLOBAL_TABLES || ctes.has(table) || SQLITE_ONLY.test(on)) continue;
    if (!/workspace_id/.test(on)) out.push(whole.replace(/\s+/g, " ").trim());
  }
  return out;
}

/** Statements that read or change every workspace's rows on purpose: the start of each, and why. */
const ACROSS_WORKSPACES: [RegExp, string][] = [
  [/^FROM events_default\b/, "partition upkeep moves the default partition's rows, whatever their workspace"],
  [/^FROM events WHERE ip_enc IS NOT NULL LIMIT/, "the key check samples sealed addresses of any workspace"],
  [
    /^FROM events WHERE ip_enc IS NOT NULL AND received_at </,
    "the hourly purge of sealed addresses past retention",
  ],
  [
    /^FROM spend_sources WHERE id IN \( SELECT id FROM spend_sources WHERE NOT deleted/,
    "spend sync's due claim",
  ],
  [/^FROM dedup_keys WHERE received_at </, "the hourly purge of dedup keys past the window"],
  [/^FROM quality_counters WHERE last_at </, "the hourly purge of idle quality counters"],
  [/^FROM series_hour WHERE start </, "the hourly purge of old series"],
  [/^FROM series_hour WHERE start = ANY/, "the detectors read every workspace's last hours in one scan"],
  [/^FROM destinations WHERE NOT deleted/, "the outbox starts a worker per destination of every workspace"],
  [/^FROM rules WHERE NOT deleted/, "the rule engine loads every workspace's rules at start"],
  [
    /^FROM spend_sources WHERE NOT deleted/,
    "spend sync: the list and the due scan of every workspace's sources",
  ],
  [/^FROM signals WHERE apply_pending/, "the due scan of signals to apply, every workspace"],
  [/^FROM alerts WHERE status = 'firing'/, "the detectors' firing alerts, every workspace"],
  [/^FROM alert_outbox WHERE status = 'pending' AND next_attempt_at/, "the due scan of alert notifications"],
  [
    /^FROM links WHERE id = /,
    "GET /l/:id: a link is looked up before its workspace is known (docs/scaling.md)",
  ],
];

// [UPDATE <table> | DELETE FROM <table> | FROM <table>] [[AS] alias] [SET …] WHERE <condition>,
// up to the end of the statement or the next clause that starts another part.
const STATEMENT_RE =
  /\b(?:UPDATE|FROM)\s+(?!SET\b|OF\b|SKIP\b)([a-z_]+)(?:\s+(?:AS\s+)?(?!WHERE\b|SET\b|JOIN\b|LEFT\b|ORDER\b|GROUP\b|LIMIT\b|ON\b)[a-z_]+)?\s+(?:SET\b[^`"]*?\s)?WHERE\b([^`"]*?)(?=`|"|;|\bRETURNING\b|\)\s*(?:SELECT|UPDATE|,|$)|$)/gi;

/** The statements of `source` that touch a workspace table without naming the workspace. */
export function statementsWithoutWorkspace(source: string): string[] {
  const sql = expanded(source);
  const ctes = cteNames(sql);
  // A WHERE built in code (`${where…}`) from a list that begins with the workspace.
  const builtWithWorkspace = /\bwhere = \[?["'`]workspace_id/.test(source);
  const out: string[] = [];
  for (const m of sql.matchAll(STATEMENT_RE)) {
    const [whole, table, where] = m as unknown as [string, string, string];
    if (table in GLOBAL_TABLES || ctes.has(table) || /workspace_id/.test(where)) continue;
    if (builtWithWorkspace && /^\s*\$\{where/.test(where)) continue;
    const key = `FROM ${table} WHERE ${where.replace(/\s+/g, " ").trim()}`;
    if (ACROSS_WORKSPACES.some(([re]) => re.test(key))) continue;
    out.push(whole.replace(/\s+/g, " ").trim());
  }
  return out;
}

describe("the finders, on examples (Citus-ready)", () => {
  it.each<[string, (source: string) => string[], string, string[]]>([
    [
      "a join by id alone",
      joinsWithoutWorkspace,
      "FROM claimed c LEFT JOIN events e ON e.id = c.event_ref ORDER BY c.id",
      ["JOIN events e ON e.id = c.event_ref"],
    ],
    [
      "a join that names it",
      joinsWithoutWorkspace,
      "FROM claimed c LEFT JOIN events e ON e.workspace_id = c.workspace_id AND e.id = c.id",
      [],
    ],
    [
      "a join to a reference table",
      joinsWithoutWorkspace,
      "FROM retired_keys r JOIN workspaces w ON w.id = r.workspace_id",
      [],
    ],
    [
      "a lateral join",
      joinsWithoutWorkspace,
      "FROM unnest($1::text[]) AS t(k) CROSS JOIN LATERAL (SELECT 1) c",
      [],
    ],
    [
      "an update by id alone",
      statementsWithoutWorkspace,
      "`UPDATE deliveries SET last_error = $1 WHERE id = $2`",
      ["UPDATE deliveries SET last_error = $1 WHERE id = $2"],
    ],
    [
      "a read by a key alone",
      statementsWithoutWorkspace,
      '"SELECT model FROM credits WHERE event_ref = ? ORDER BY model"',
      ["FROM credits WHERE event_ref = ? ORDER BY model"],
    ],
    [
      "an update that names it",
      statementsWithoutWorkspace,
      "`UPDATE deliveries SET last_error = $1 WHERE workspace_id = $2 AND id = $3`",
      [],
    ],
    [
      "a read of a reference table",
      statementsWithoutWorkspace,
      '"SELECT * FROM workspaces WHERE id = $1"',
      [],
    ],
    [
      "a purge listed as across workspaces",
      statementsWithoutWorkspace,
      '"DELETE FROM dedup_keys WHERE received_at < $1"',
      [],
    ],
  ])("%s", (_name, find, source, expected) => {
    expect(find(source)).toEqual(expected);
  });
});

describe.each([
  ["joins", joinsWithoutWorkspace],
  ["statements", statementsWithoutWorkspace],
])("the %s of the PostgreSQL store and the shared SQL", (_what, without) => {
  it("all name the workspace", () => {
    expect(SOURCES.length).toBeGreaterThan(20);
    expect(SOURCES.flatMap((f) => without(readFileSync(f, "utf8")).map((x) => `${f}: ${x}`))).toEqual([]);
  });
});
