/**
 * Test harness: the real Tally server, either as a child process on a free loopback port
 * (`startTally`, for kill -9, restarts and black-box HTTP) or in-process (`startInProcess`,
 * for inject()-style speed with the same real store). Every instance gets its own data folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { loadConfig } from "../../src/config/config.js";
import {
  startTally as startInProcessTally,
  repoRoot,
  type RunningTally,
  type StartOptions as InProcessOptions,
} from "../../src/main.js";

export const ADMIN_TOKEN = "adm_test_token_0123456789";

/**
 * Settings every test server starts with unless the test says otherwise: the fake platforms
 * listen on loopback over plain http, which the endpoint policy allows only with this flag
 * (a test of the policy itself passes `TALLY_ALLOW_PRIVATE_ENDPOINTS: ""`).
 */
export const TEST_DEFAULTS: Record<string, string> = { TALLY_ALLOW_PRIVATE_ENDPOINTS: "1" };

export function tempDataDir(prefix = "tally-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TallyProcess {
  url: string;
  port: number;
  dataDir: string;
  adminToken: string;
  env: Record<string, string>;
  child: ChildProcess;
  /** Everything the process printed (stdout + stderr). */
  output(): string;
  /**
   * SIGTERM and wait for exit; resolves with the exit code, or null when a signal ended the
   * process (then `exitSignal()` names it).
   */
  stop(): Promise<number | null>;
  /** The signal that ended the process, if one did (null while it runs or after a clean exit). */
  exitSignal(): NodeJS.Signals | null;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Start again on the same data folder and port. */
  restart(): Promise<TallyProcess>;
  /** Remove the data folder (after stop). */
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
}

/** Spawns `node bin/tally.js serve` (the built server: `npm run build` first; `npm test` does). */
export async function startTally(opts: StartOptions = {}): Promise<TallyProcess> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const port = opts.port ?? (await freePort());
  const env: Record<string, string> = {
    TALLY_ADMIN_TOKEN: ADMIN_TOKEN,
    TALLY_LOG_LEVEL: "warn",
    ...TEST_DEFAULTS,
    ...opts.env,
    TALLY_DATA_DIR: dataDir,
    TALLY_PORT: String(port),
    TALLY_HOST: "127.0.0.1",
  };
  const child = spawn(process.execPath, [join(repoRoot(), "bin/tally.js"), "serve"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tally exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`tally did not start within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const proc: TallyProcess = {
    url,
    port,
    dataDir,
    adminToken: env.TALLY_ADMIN_TOKEN!,
    env,
    child,
    output: () => out,
    exitSignal: () => child.signalCode,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
    restart: () => startTally({ ...opts, dataDir, port }),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
  return proc;
}

/** The server in this process (listening on a free port), on a fresh data folder. */
export async function startInProcess(
  env: Record<string, string> = {},
  opts: InProcessOptions = {},
): Promise<RunningTally & { adminToken: string; dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = env.TALLY_DATA_DIR ?? tempDataDir();
  const config = loadConfig({
    TALLY_ADMIN_TOKEN: ADMIN_TOKEN,
    TALLY_LOG_LEVEL: "silent",
    TALLY_PORT: "0",
    ...TEST_DEFAULTS,
    ...env,
    TALLY_DATA_DIR: dataDir,
  });
  const t = await startInProcessTally(config, opts);
  return {
    ...t,
    adminToken: t.adminToken ?? ADMIN_TOKEN,
    dataDir,
    async cleanup() {
      await t.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small client for tests: JSON in and out, with a key. */
export function client(baseUrl: string, key?: string) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields freely
    let json: any;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, body: json };
  };
}

/** Creates a workspace through the API; returns its keys and a client bound to the secret key. */
export async function createWorkspace(
  baseUrl: string,
  adminToken = ADMIN_TOKEN,
  name = "Shop",
  extra: Record<string, unknown> = {},
) {
  const res = await client(baseUrl, adminToken)("POST", "/v1/workspaces", { name, ...extra });
  if (res.status !== 201)
    throw new Error(`workspace create failed: ${res.status} ${JSON.stringify(res.body)}`);
  const ws = res.body as { id: string; public_key: string; secret_key: string };
  return { ...ws, api: client(baseUrl, ws.secret_key) };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
