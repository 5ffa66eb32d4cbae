// Builds the workspace packages the server imports by name (tsc → packages/protocol/dist,
// packages/sdk-node/dist), the server (tsc → dist/), the browser tag and the dashboard
// (esbuild → dist/public/).
// `--if-needed` skips the work when nothing under the sources changed since the last build,
// so `npm start` stays a one-command start on a fresh clone and instant afterwards.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, ".tally-build-stamp");
const sources = ["src", "packages", "scripts", "tsconfig.json", "tsconfig.build.json", "package.json"];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name === "dist") continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

/** Compiled in this order: each may import the ones before it by package name. */
const projects = [
  "packages/protocol/tsconfig.build.json",
  "packages/sdk-node/tsconfig.build.json",
  "tsconfig.build.json",
];
const outputs = [
  "dist/src/cli/main.js",
  "packages/protocol/dist/normalize.js",
  "packages/sdk-node/dist/index.js",
];

if (
  process.argv.includes("--if-needed") &&
  existsSync(stamp) &&
  outputs.every((o) => existsSync(join(root, o)))
) {
  const built = statSync(stamp).mtimeMs;
  if (Math.max(...sources.map((s) => newest(join(root, s)))) <= built) process.exit(0);
}

const started = Date.now();
for (const project of projects)
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, project)], {
    stdio: "inherit",
  });

const esbuild = await import("esbuild");
const publicDir = join(root, "dist/public");
mkdirSync(publicDir, { recursive: true });
const browserBuilds = [
  { entry: "packages/tracker/src/tally.ts", out: "tally.js", target: "es2017", format: "iife" },
  { entry: "packages/dashboard/src/main.tsx", out: "dashboard.js", target: "es2020", format: "esm" },
];
for (const b of browserBuilds) {
  if (!existsSync(join(root, b.entry))) continue;
  await esbuild.build({
    entryPoints: [join(root, b.entry)],
    outfile: join(publicDir, b.out),
    bundle: true,
    minify: true,
    format: b.format,
    target: b.target,
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    logLevel: "warning",
  });
}
for (const file of ["packages/dashboard/src/index.html", "packages/dashboard/src/dashboard.css"]) {
  if (existsSync(join(root, file))) copyFileSync(join(root, file), join(publicDir, file.split("/").pop()));
}
writeFileSync(stamp, new Date().toISOString() + "\n");
console.error(`tally: built in ${Date.now() - started} ms`);
