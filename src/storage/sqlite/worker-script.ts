/**
 * Where the writer worker's code is. Built (dist/…/*.js) it is the sibling file; run from the
 * TypeScript sources (tests), the worker is bundled on the fly with esbuild, since a worker
 * thread cannot load .ts files itself.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export async function workerScriptUrl(): Promise<URL> {
  const here = import.meta.url;
  if (here.endsWith(".js")) return new URL("./sqlite-writer-worker.js", here);
  const entry = fileURLToPath(new URL("./sqlite-writer-worker.ts", here));
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    packages: "external",
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  // Inside the repo's node_modules, so the external packages resolve as they do for the sources.
  const dir = join(fileURLToPath(new URL("../../../node_modules/.cache/tally-worker", here)));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `writer-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(file) || readFileSync(file, "utf8") !== code) writeFileSync(file, code);
  return pathToFileURL(file);
}
