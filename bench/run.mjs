// `npm run bench` (after the build): runs each benchmark of bench/ that exists, one after the
// other, each in its own process. `npm run bench -- core attribution` runs only those.
// BENCH_QUICK=1 asks every benchmark for a short pass.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
// The known ones first, in this order; any other bench/*.mjs after them.
const KNOWN = [
  "core",
  "attribution",
  "live",
  "destinations",
  "postgres",
  "hostile",
  "performance",
  "rules",
  "reconciliation",
];
const present = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs")
  .map((f) => f.slice(0, -4));
const all = [
  ...KNOWN.filter((n) => present.includes(n)),
  ...present.filter((n) => !KNOWN.includes(n)).sort(),
];

const asked = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = asked.filter((a) => !all.includes(a));
if (unknown.length > 0) {
  console.error(`bench: no benchmark ${unknown.join(", ")}; there are: ${all.join(", ")}`);
  process.exit(2);
}
if (!existsSync(join(root, "dist/src/cli/main.js"))) {
  console.error("bench: the server is not built; run `npm run bench` (it builds first) or `npm run build`");
  process.exit(2);
}

const chosen = asked.length > 0 ? all.filter((n) => asked.includes(n)) : all;
const failed = [];
const started = Date.now();
for (const name of chosen) {
  const t0 = Date.now();
  console.log(`\n### bench/${name}.mjs`);
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`)], {
    stdio: "inherit",
    cwd: root,
    env: process.env,
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  if (r.status !== 0) {
    failed.push(name);
    console.log(`### bench/${name}.mjs FAILED (exit ${r.status ?? r.signal}) after ${secs} s`);
  } else console.log(`### bench/${name}.mjs done in ${secs} s`);
}
console.log(
  `\nbench: ${chosen.length - failed.length} of ${chosen.length} done in ${((Date.now() - started) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(", ")}` : ""}`,
);
process.exitCode = failed.length > 0 ? 1 : 0;
