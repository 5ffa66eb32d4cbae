/**
 * The encryption key must be the one that sealed the store (API.md "Running"): a start with
 * another key refuses with a message and a non-zero exit, no stack trace, and leaves the
 * store as it was. SQLite here; several nodes on PostgreSQL in test/postgres/encryption-key.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, startTally, tempDataDir } from "../helpers/server.js";
import { refusedStart } from "../helpers/refused-start.js";
import { rmSync } from "node:fs";

const KEY_A = "a1".repeat(32);
const KEY_B = "b2".repeat(32);

/** Starts on `dataDir`, stores a sealed destination secret, stops cleanly. */
async function sealSomething(dataDir: string, env: Record<string, string>): Promise<void> {
  const t = await startTally({ dataDir, env });
  const ws = await createWorkspace(t.url, ADMIN_TOKEN);
  const res = await ws.api("POST", "/v1/destinations", {
    type: "webhook",
    config: { url: "http://127.0.0.1:9/hook", secret: "whsec-0123456789abcdef" },
  });
  expect(res.status).toBe(201);
  expect(await t.stop()).toBe(0);
}

function expectRefusal(run: { code: number | null; output: string }, ...phrases: string[]): void {
  expect(run.code).not.toBe(0);
  expect(run.code).not.toBeNull();
  for (const p of phrases) expect(run.output).toContain(p);
  expect(run.output).not.toMatch(/\n\s+at /); // no stack trace
  expect(run.output).not.toContain(KEY_A);
  expect(run.output).not.toContain(KEY_B);
}

describe("SQLite: a start with another encryption key", () => {
  it("refuses with TALLY_ENCRYPTION_KEY changed, and starts again with the right one", async () => {
    const dataDir = tempDataDir();
    try {
      await sealSomething(dataDir, { TALLY_ENCRYPTION_KEY: KEY_A });
      expectRefusal(
        await refusedStart(dataDir, { TALLY_ENCRYPTION_KEY: KEY_B }),
        "tally: the encryption key cannot read this store's encrypted rows",
        "This node uses TALLY_ENCRYPTION_KEY",
      );
      const again = await startTally({ dataDir, env: { TALLY_ENCRYPTION_KEY: KEY_A } });
      const list = await fetch(`${again.url}/readyz`);
      expect(list.status).toBe(200);
      expect(await again.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses when TALLY_ENCRYPTION_KEY and the data folder's key file disagree, naming the file that opens it", async () => {
    const dataDir = tempDataDir();
    try {
      await sealSomething(dataDir, {}); // key generated into the data folder
      const fileKey = readFileSync(join(dataDir, "encryption.key"), "utf8").trim();
      expect(fileKey).toMatch(/^[0-9a-f]{64}$/);
      const run = await refusedStart(dataDir, { TALLY_ENCRYPTION_KEY: KEY_B });
      expectRefusal(
        run,
        "This node uses TALLY_ENCRYPTION_KEY",
        `The key in ${join(dataDir, "encryption.key")} opens the store: unset TALLY_ENCRYPTION_KEY, or set it to that file's key`,
      );
      expect(run.output).not.toContain(fileKey);
      // Setting the variable to the file's key is the same key: it starts.
      const t = await startTally({ dataDir, env: { TALLY_ENCRYPTION_KEY: fileKey } });
      expect(await t.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a key file that is not the store's (the store sealed with TALLY_ENCRYPTION_KEY)", async () => {
    const dataDir = tempDataDir();
    try {
      await sealSomething(dataDir, { TALLY_ENCRYPTION_KEY: KEY_A });
      // Unset: a key is generated into the data folder, and it is not the store's.
      expectRefusal(
        await refusedStart(dataDir, {}),
        "TALLY_ENCRYPTION_KEY is not set, so this node used the key in",
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a TALLY_ENCRYPTION_KEY that is not 64 hex characters", async () => {
    const dataDir = tempDataDir();
    try {
      expectRefusal(await refusedStart(dataDir, { TALLY_ENCRYPTION_KEY: "short" }), "TALLY_ENCRYPTION_KEY");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
