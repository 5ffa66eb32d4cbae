/**
 * Nodes sharing a database need the same encryption key (API.md "Running"): a node started
 * with another key, or with none (it would generate its own), refuses to start and says so,
 * instead of running without being able to open a destination secret or an IP of the others.
 * Needs the built server (`node scripts/build.mjs`).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  createWorkspace,
  startTally,
  tempDataDir,
  type TallyProcess,
} from "../helpers/server.js";
import { refusedStart } from "../helpers/refused-start.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";

const pgUp = await postgresAvailable("the encryption key check on PostgreSQL");
const SHARED_KEY = "5e".repeat(32);
const OTHER_KEY = "0a".repeat(32);

describe.skipIf(!pgUp)("several nodes on one PostgreSQL: the encryption key", () => {
  let schema: TestSchema;
  let first: TallyProcess;

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "4" });
    first = await startTally({ env: { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: SHARED_KEY } });
    const ws = await createWorkspace(first.url, ADMIN_TOKEN);
    const res = await ws.api("POST", "/v1/destinations", {
      type: "webhook",
      config: { url: "http://127.0.0.1:9/hook", secret: "whsec-0123456789abcdef" },
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    if (first) {
      await first.stop();
      first.cleanup();
    }
    await schema?.drop();
  });

  it.each([
    [
      "another TALLY_ENCRYPTION_KEY",
      { TALLY_ENCRYPTION_KEY: OTHER_KEY },
      "This node uses TALLY_ENCRYPTION_KEY",
    ],
    [
      "no TALLY_ENCRYPTION_KEY (it would generate its own)",
      {},
      "TALLY_ENCRYPTION_KEY is not set, so this node used the key in",
    ],
  ])("a second node with %s refuses to start and says why", async (_what, env, phrase) => {
    const dataDir = tempDataDir();
    try {
      const run = await refusedStart(dataDir, { TALLY_DATABASE_URL: schema.url, ...env });
      expect(run.code).not.toBe(0);
      expect(run.code).not.toBeNull();
      expect(run.output).toContain("tally: the encryption key cannot read the database's encrypted rows");
      expect(run.output).toContain(phrase);
      expect(run.output).toContain("Nodes sharing a database need the same TALLY_ENCRYPTION_KEY");
      expect(run.output).not.toMatch(/\n\s+at /);
      expect(run.output).not.toContain(OTHER_KEY);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a second node with the shared key starts and serves what the first stored", async () => {
    const second = await startTally({
      env: { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: SHARED_KEY },
    });
    try {
      const ws = await createWorkspace(second.url, ADMIN_TOKEN);
      expect((await ws.api("GET", "/v1/destinations")).status).toBe(200);
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      await second.stop();
      second.cleanup();
    }
  });
});
