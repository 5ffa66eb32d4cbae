/**
 * The admin token (API.md, Running): at least 24 characters, or the server refuses to start
 * and says why; generated when unset, printed once, and only its hash kept in the data
 * folder; a plain token file of an older version is replaced by its hash. The real server,
 * as a child process.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { client, startTally, tempDataDir } from "../helpers/server.js";

/** Every byte of every file in the folder, as one string (latin1 keeps any byte). */
function folderText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString("latin1"))
    .join("\n");
}

describe("a short TALLY_ADMIN_TOKEN", () => {
  it("stops the start with a message that names the variable and the minimum, never the token", async () => {
    const token = "only-twenty-three-chars";
    expect(token).toHaveLength(23);
    const err = await startTally({ env: { TALLY_ADMIN_TOKEN: token } }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(/exited with 2/);
    expect(err!.message).toContain("TALLY_ADMIN_TOKEN");
    expect(err!.message).toContain("24");
    expect(err!.message).not.toContain(token);
    expect(err!.message).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe("a generated admin token", () => {
  it(
    "is printed once, kept only as a hash (mode 0600), and works across restarts",
    { timeout: 60_000 },
    async () => {
      const dataDir = tempDataDir();
      const first = await startTally({ dataDir, env: { TALLY_ADMIN_TOKEN: "" } });
      let second: Awaited<ReturnType<typeof startTally>> | null = null;
      try {
        const token = /\n\s+(adm_[A-Za-z0-9_-]{43})\n/.exec(first.output())?.[1];
        expect(token, first.output()).toBeDefined();
        expect(token!.length).toBeGreaterThanOrEqual(24);
        expect(first.output()).toContain("admin-token.sha256");

        // The data folder holds its hash, never the token.
        const files = readdirSync(dataDir);
        expect(files).toContain("admin-token.sha256");
        expect(files).not.toContain("admin-token");
        expect(folderText(dataDir)).not.toContain(token);
        expect(statSync(join(dataDir, "admin-token.sha256")).mode & 0o777).toBe(0o600);

        expect((await client(first.url)("POST", "/v1/session", { token })).status).toBe(200);
        expect(await first.stop()).toBe(0);

        second = await first.restart();
        expect(second.output()).not.toContain(token);
        expect(second.output()).not.toMatch(/admin token \(shown once/i);
        expect((await client(second.url, token)("GET", "/v1/workspaces")).status).toBe(200);
      } finally {
        await second?.stop();
        await first.stop();
        first.cleanup();
      }
    },
  );

  it(
    "a plain admin-token file of an older version is replaced by its hash; the token keeps working",
    { timeout: 60_000 },
    async () => {
      const dataDir = tempDataDir();
      const token = "adm_legacy_token_kept_in_plain_text_0123";
      writeFileSync(join(dataDir, "admin-token"), token + "\n", { mode: 0o600 });
      const t = await startTally({ dataDir, env: { TALLY_ADMIN_TOKEN: "" } });
      try {
        expect(readdirSync(dataDir)).not.toContain("admin-token");
        expect(readdirSync(dataDir)).toContain("admin-token.sha256");
        expect(folderText(dataDir)).not.toContain(token);
        expect(t.output()).not.toContain(token);
        expect((await client(t.url, token)("GET", "/v1/workspaces")).status).toBe(200);
      } finally {
        await t.stop();
        t.cleanup();
      }
    },
  );
});
