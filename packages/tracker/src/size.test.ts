import { describe, expect, it } from "vitest";
import { GZIP_BUDGET_BYTES, buildTracker } from "./node/build.js";

describe("tally.js", () => {
  it(`stays within ${GZIP_BUDGET_BYTES} bytes gzipped`, async () => {
    const { code, gzipBytes } = await buildTracker();
    console.log(
      `tally.js: ${code.length} bytes minified, ${gzipBytes} bytes gzipped (budget ${GZIP_BUDGET_BYTES})`,
    );
    expect(gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
  });

  it("has no dependencies and no Node built-ins in the bundle", async () => {
    const { code } = await buildTracker();
    expect(code).not.toMatch(/\brequire\(|node:|process\.env/);
  });
});
