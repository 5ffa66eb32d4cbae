/**
 * Where a worker thread's code is (the writer, the report and the checkpoint threads). Its entry
 * is given (src/sqlite-writer-main.ts wires the commit core in): built (dist/…/*.js) it runs as
 * it is; run from the TypeScript sources (tests), it is bundled on the fly with esbuild, since a
 * worker thread cannot load .ts files — once per entry and process.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const bundles = new Map<string, Promise<URL>>();

export function workerScriptUrl(entryUrl: URL): Promise<URL> {
  if (!entryUrl.pathname.endsWith(".ts")) return Promise.resolve(entryUrl);
  let url = bundles.get(entryUrl.href);
  if (!url) {
    url = bundle(entryUrl);
    // A failed bundling is tried again by the next caller.
    url.catch(() => bundles.delete(entryUrl.href));
    bundles.set(entryUrl.href, url);
  }
  return url;
}

async function bundle(entryUrl: URL): Promise<URL> {
  const here = import.meta.url;
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
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const file = join(dir, `${basename(entry, ".ts")}-${hash}.mjs`);
  if (!existsSync(file) || readFileSync(file, "utf8") !== code) {
    // Written aside and renamed: a test process starting the same thread meanwhile never loads
    // half a file.
    const part = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    writeFileSync(part, code);
    renameSync(part, file);
  }
  return pathToFileURL(file);
}
