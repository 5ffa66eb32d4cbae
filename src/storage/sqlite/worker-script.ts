/**
 * Where the writer thread's code is. Its entry is given (src/sqlite-writer-main.ts wires the
 * commit core in): built (dist/…/*.js) it runs as it is; run from the TypeScript sources
 * (tests), it is bundled on the fly with esbuild, since a worker thread cannot load .ts files.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export async function workerScriptUrl(entryUrl: URL): Promise<URL> {
  const here = import.meta.url;
  if (!entryUrl.pathname.endsWith(".ts")) return entryUrl;
  const entry = fileURLToPath(entryUrl);
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
