/**
 * The `tally` command as a user runs it: `tally config` lists every setting, and
 * `tally workspace create` makes keys that a server on the same data folder accepts.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/config/config.js";
import { repoRoot } from "../../src/main.js";
import { client, nowSeconds, startTally, tempDataDir, type TallyProcess } from "../helpers/server.js";
import { BUILD_TIMEOUT_MS, ensureBuilt } from "./ensure-built.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tally(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot(), "bin", "tally.js"), ...args],
      { env: { PATH: process.env.PATH ?? "", ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT_MS);

const scratch: string[] = [];
/** A data folder for one command, removed after the file's tests. */
function scratchDir(): string {
  const dir = tempDataDir("tally-cli-");
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("tally config", () => {
  /** The variables API.md names, those the tests set, and every one config.ts defines. */
  const expected = [
    "TALLY_PORT",
    "TALLY_HOST",
    "TALLY_DATA_DIR",
    "TALLY_DATABASE_URL",
    "TALLY_ADMIN_TOKEN",
    "TALLY_HEADERS_TIMEOUT_MS",
    "TALLY_RATE_LIMIT_PER_SECOND",
    "TALLY_LOG_LEVEL",
    ...Object.values(SETTINGS).map((s) => s.env),
  ];

  it("prints every TALLY_* variable once, with its default, current value and a description", async () => {
    const run = await tally(["config"], {
      TALLY_PORT: "9911",
      TALLY_ADMIN_TOKEN: "adm_do_not_print_me_0123456789",
      TALLY_DATA_DIR: scratchDir(),
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("TALLY_"));
    const names = lines.map((l) => l.split(/\s+/)[0]);
    for (const name of new Set(expected)) expect(names, name).toContain(name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(Object.keys(SETTINGS).length);
    for (const line of lines) expect(line.split(/\s{2,}/).length, line).toBeGreaterThanOrEqual(4);
    const port = lines.find((l) => l.startsWith("TALLY_PORT "))!;
    expect(port).toMatch(/8787\s+9911/);
    // Secrets are never printed, only whether they are set.
    expect(run.stdout).not.toContain("adm_do_not_print_me");
  });

  it("an invalid value names the variable and exits 2", async () => {
    const run = await tally(["config"], { TALLY_PORT: "eighty" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("TALLY_PORT");
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe("tally workspace create", () => {
  const dataDir = tempDataDir();
  let server: TallyProcess | null = null;
  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  function keysOf(stdout: string): { pk: string; sk: string } {
    const pk = /\b(pk_[A-Za-z0-9_-]+)/.exec(stdout)?.[1];
    const sk = /\b(sk_[A-Za-z0-9_-]+)/.exec(stdout)?.[1];
    expect(pk, stdout).toBeDefined();
    expect(sk, stdout).toBeDefined();
    return { pk: pk!, sk: sk! };
  }

  it(
    "prints a public and a secret key that work against a server on that data folder",
    { timeout: 60_000 },
    async () => {
      const run = await tally(["workspace", "create", "--name", "CLI Shop", "--currency", "eur"], {
        TALLY_DATA_DIR: dataDir,
      });
      expect(run.code, run.stderr).toBe(0);
      const { pk, sk } = keysOf(run.stdout);

      server = await startTally({ dataDir });
      const api = client(server.url, sk);
      const ws = await api("GET", "/v1/workspace");
      expect(ws.status).toBe(200);
      expect(ws.body).toMatchObject({ name: "CLI Shop", currency: "EUR", public_key: pk });
      const ev = await api("POST", "/v1/events", {
        data: [{ event_name: "Lead", event_time: nowSeconds() }],
      });
      expect(ev.body.accepted).toBe(1);
      const beacon = await client(server.url)(
        "POST",
        `/t/collect?k=${pk}`,
        JSON.stringify({ events: [{ event_name: "PageView" }] }),
        { "content-type": "text/plain" },
      );
      expect(beacon.status).toBe(204);
      // The secret key is the workspace's, not the admin's.
      expect((await api("GET", "/v1/workspaces")).status).toBe(403);
    },
  );

  it("also while that server runs, and `workspace list` shows both", { timeout: 60_000 }, async () => {
    expect(server).not.toBeNull();
    const run = await tally(["workspace", "create", "--name", "Second"], { TALLY_DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    const { sk } = keysOf(run.stdout);
    const ws = await client(server!.url, sk)("GET", "/v1/workspace");
    expect(ws.body).toMatchObject({ name: "Second", currency: "USD" });
    const list = await tally(["workspace", "list"], { TALLY_DATA_DIR: dataDir });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("CLI Shop");
    expect(list.stdout).toContain("Second");
    expect(list.stdout).not.toContain("sk_");
  });

  it("without --name it explains itself and exits 2", async () => {
    const run = await tally(["workspace", "create"], { TALLY_DATA_DIR: scratchDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--name");
  });
});
