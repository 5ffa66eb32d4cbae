/**
 * Every join of two workspace tables in the SQL PostgreSQL runs names the workspace on both
 * sides, as Citus needs to keep a join on one shard (docs/scaling.md, "Past one primary"): the
 * PostgreSQL store's files and the SQL both backends share. A join that leaves it out works on
 * one node and fails (or fans out to every shard) once the tables are distributed, so this reads
 * the source, the way the schema test reads the primary keys. Reference tables (GLOBAL_TABLES)
 * and row sources (`unnest`, `LATERAL`, a subquery) are not workspace tables.
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

export function joinsWithoutWorkspace(source: string): string[] {
  const sql = expanded(source);
  // Common table expressions are a statement's own rows, already of one workspace.
  const ctes = new Set(
    [...sql.matchAll(/(?:\bWITH|,)\s*([a-z_]+)\s+AS\s+(?:(?:NOT\s+)?MATERIALIZED\s*)?\(/gi)].map(
      (m) => m[1]!,
    ),
  );
  const out: string[] = [];
  for (const m of sql.matchAll(JOIN_RE)) {
    const [whole, table, on] = m as unknown as [string, string, string];
    if (table in GLOBAL_TABLES || ctes.has(table) || SQLITE_ONLY.test(on)) continue;
    if (!/workspace_id/.test(on)) out.push(whole.replace(/\s+/g, " ").trim());
  }
  return out;
}

describe("joins name the workspace (Citus-ready)", () => {
  it("finds a join without it, and passes one with it", () => {
    expect(
      joinsWithoutWorkspace("FROM claimed c LEFT JOIN events e ON e.id = c.event_ref ORDER BY c.id"),
    ).toEqual(["JOIN events e ON e.id = c.event_ref"]);
    expect(
      joinsWithoutWorkspace(
        "FROM claimed c LEFT JOIN events e ON e.workspace_id = c.workspace_id AND e.id = c.id",
      ),
    ).toEqual([]);
    expect(joinsWithoutWorkspace("FROM retired_keys r JOIN workspaces w ON w.id = r.workspace_id")).toEqual(
      [],
    );
    expect(joinsWithoutWorkspace("FROM unnest($1::text[]) AS t(k) CROSS JOIN LATERAL (SELECT 1) c")).toEqual(
      [],
    );
  });

  it("holds in every file of the PostgreSQL store and the shared SQL", () => {
    expect(SOURCES.length).toBeGreaterThan(20);
    const missing = SOURCES.flatMap((f) =>
      joinsWithoutWorkspace(readFileSync(f, "utf8")).map((j) => `${f}: ${j}`),
    );
    expect(missing).toEqual([]);
  });
});
