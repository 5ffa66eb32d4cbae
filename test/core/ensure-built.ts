/**
 * Child-process tests run the built server (`node bin/tally.js serve` loads dist/). Build it
 * once when it is missing; a stale build is the caller's to refresh with `node scripts/build.mjs`.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../src/main.js";

/** Long enough for a cold `tsc` + esbuild on a busy two-core machine. */
export const BUILD_TIMEOUT_MS = 180_000;

export function ensureBuilt(): void {
  const root = repoRoot();
  if (existsSync(join(root, "dist", "src", "cli", "main.js"))) return;
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
}
