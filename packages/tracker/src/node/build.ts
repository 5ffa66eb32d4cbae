// Node-only helper (never part of the tag): bundles the tag as scripts/build.mjs does — iife,
// es2017, minified — without writing files, for the size budget and the browser tests.

import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** The budget of the issue (API.md allows 4 KiB; we hold ourselves to 3 KB). */
export const GZIP_BUDGET_BYTES = 3072;

/**
 * @example
 * const { code, gzipBytes } = await buildTracker();
 */
export async function buildTracker(): Promise<{ code: string; gzipBytes: number }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../tally.ts", import.meta.url))],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2017",
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  return { code, gzipBytes: gzipSync(code).length };
}
