/**
 * Starts the built server expecting it to refuse to start: resolves with its exit code and
 * everything it printed once it exits; throws if it comes up (answers /healthz) instead.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, TEST_DEFAULTS, freePort } from "./server.js";

export async function refusedStart(
  dataDir: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot(), "bin/tally.js"), "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      TALLY_ADMIN_TOKEN: ADMIN_TOKEN,
      TALLY_LOG_LEVEL: "warn",
      ...TEST_DEFAULTS,
      ...env,
      TALLY_DATA_DIR: dataDir,
      TALLY_PORT: String(port),
      TALLY_HOST: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) return { code: child.exitCode, output };
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up || Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`tally ${up ? "started" : "neither started nor exited within 20 s"}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
