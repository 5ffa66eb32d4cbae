/**
 * docs/errors.md and the error catalogue (src/domain/errors.ts) must agree: every code with its
 * status and message, both ways. The two tables sit between markers and are generated from the
 * catalogue; after changing it, regenerate them with
 *
 *   UPDATE_DOCS=1 npx vitest run test/core/errors-doc.test.ts
 *
 * (the prose around the tables is left alone).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERRORS, EVENT_ERRORS } from "../../src/domain/errors.js";
import { repoRoot } from "../../src/main.js";

const DOC = join(repoRoot(), "docs", "errors.md");
const HTTP = { start: "<!-- errors:http:start -->", end: "<!-- errors:http:end -->" };
const EVENT = { start: "<!-- errors:event:start -->", end: "<!-- errors:event:end -->" };

/** The HTTP table, by status (then catalogue order), and the per-event table in catalogue order. */
function renderHttpTable(): string {
  const rows = Object.entries(ERRORS)
    .map(([code, e], i) => ({ code, ...e, i }))
    .sort((a, b) => a.status - b.status || a.i - b.i)
    .map((e) => `| \`${e.code}\` | ${e.status} | ${e.message} |`);
  return ["| code | HTTP status | message |", "| --- | --- | --- |", ...rows].join("\n");
}

function renderEventTable(): string {
  const rows = Object.entries(EVENT_ERRORS).map(([code, message]) => `| \`${code}\` | ${message} |`);
  return ["| code | message |", "| --- | --- |", ...rows].join("\n");
}

function section(doc: string, m: { start: string; end: string }): string {
  const a = doc.indexOf(m.start);
  const b = doc.indexOf(m.end);
  expect(a, `docs/errors.md has no ${m.start}`).toBeGreaterThanOrEqual(0);
  expect(b, `docs/errors.md has no ${m.end}`).toBeGreaterThan(a);
  return doc.slice(a + m.start.length, b).trim();
}

function replaceSection(doc: string, m: { start: string; end: string }, body: string): string {
  const a = doc.indexOf(m.start);
  const b = doc.indexOf(m.end);
  return `${doc.slice(0, a + m.start.length)}\n${body}\n${doc.slice(b)}`;
}

/** Rows of a markdown table as cells, header and separator dropped. */
function cells(table: string): string[][] {
  return table
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(" | ")
        .map((c) => c.trim()),
    );
}

if (process.env.UPDATE_DOCS === "1") {
  let doc = readFileSync(DOC, "utf8");
  doc = replaceSection(doc, HTTP, renderHttpTable());
  doc = replaceSection(doc, EVENT, renderEventTable());
  writeFileSync(DOC, doc);
}

describe("docs/errors.md", () => {
  const doc = readFileSync(DOC, "utf8");

  it("lists every HTTP error code of the catalogue with its status and message, and no other", () => {
    const documented = new Map(
      cells(section(doc, HTTP)).map(([code, status, message]) => [
        code!.replace(/`/g, ""),
        { status: Number(status), message },
      ]),
    );
    const catalogue = new Map(
      Object.entries(ERRORS).map(([code, e]) => [code, { status: e.status, message: e.message }]),
    );
    expect([...documented.keys()].sort()).toEqual([...catalogue.keys()].sort());
    for (const [code, e] of catalogue) expect(documented.get(code), code).toEqual(e);
  });

  it("lists every per-event code of EVENT_ERRORS with its message, and no other", () => {
    const documented = new Map(
      cells(section(doc, EVENT)).map(([code, message]) => [code!.replace(/`/g, ""), message]),
    );
    expect(Object.fromEntries(documented)).toEqual({ ...EVENT_ERRORS });
  });

  it("has the tables exactly as generated (regenerate with UPDATE_DOCS=1)", () => {
    expect(section(doc, HTTP)).toBe(renderHttpTable());
    expect(section(doc, EVENT)).toBe(renderEventTable());
  });

  it("every status of the catalogue is one the contract names", () => {
    const named = new Set([400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 503]);
    for (const [code, e] of Object.entries(ERRORS)) expect(named.has(e.status), code).toBe(true);
  });
});
