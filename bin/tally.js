#!/usr/bin/env node
// Entry point of the `tally` command: the compiled CLI lives in dist/ (npm run build).
import("../dist/src/cli/main.js").catch((err) => {
  console.error(
    err instanceof Error && err.message.includes("Cannot find module")
      ? "tally is not built: run `npm run build` first"
      : err,
  );
  process.exit(1);
});
