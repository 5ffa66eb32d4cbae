/**
 * `tally workspace rotate-key` as a user runs it, against a server running on the same data
 * folder: the new key works there as soon as the command has printed it, the old one works for
 * the grace given. And `tally simulate`'s HTTP client paces itself on 429 with Retry-After,
 * losing and doubling nothing.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../src/cli/api-client.js";
import { repoRoot } from "../../src/main.js";
import {
  ADMIN_TOKEN,
  client,
  createWorkspace,
  startInProcess,
  startTally,
  type TallyProcess,
} from "../helpers/server.js";
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

describe("tally workspace rotate-key", () => {
  let server: TallyProcess;
  beforeAll(async () => {
    server = await startTally();
  });
  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it("rotates the secret key with a grace, and the public key at once", { timeout: 60_000 }, async () => {
    const ws = await createWorkspace(server.url, ADMIN_TOKEN, "CLI rotated");
    expect((await ws.api("GET", "/v1/workspace")).status).toBe(200); // the server caches it
    const env = { TALLY_DATA_DIR: server.dataDir };

    const secret = await tally(["workspace", "rotate-key", ws.id, "--key", "secret", "--grace", "3600"], env);
    expect(secret.code, secret.stderr).toBe(0);
    const sk = /\b(sk_[A-Za-z0-9_-]{32,64})\b/.exec(secret.stdout)?.[1];
    expect(sk, secret.stdout).toBeDefined();
    expect(secret.stdout).toContain("shown once");
    expect(secret.stdout).toMatch(/old secret key works until \d{4}-\d\d-\d\dT/);
    expect((await client(server.url, sk)("GET", "/v1/workspace")).body.id).toBe(ws.id);
    expect((await ws.api("GET", "/v1/workspace")).status).toBe(200); // its hour of grace

    const pub = await tally(["workspace", "rotate-key", ws.id, "--key", "public"], env);
    expect(pub.code, pub.stderr).toBe(0);
    const pk = /\b(pk_[A-Za-z0-9_-]{16,64})\b/.exec(pub.stdout)?.[1];
    expect(pk, pub.stdout).toBeDefined();
    const beacon = (k: string) =>
      fetch(`${server.url}/t/collect?k=${k}`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ events: [{ event_name: "PageView" }] }),
      }).then((r) => r.status);
    // The server had the old public key cached; the command waited that out before printing.
    expect(await beacon(ws.public_key)).toBe(401);
    expect(await beacon(pk!)).toBe(204);
  });

  it.each([
    [["rotate-key"], "usage"],
    [["rotate-key", "ws_x", "--key", "admin"], "--key public|secret"],
    [["rotate-key", "ws_x", "--key", "public", "--grace", "604801"], "--grace"],
    [["rotate-key", "ws_01m00000000000000000000000", "--key", "public"], "no workspace"],
  ])("%j explains itself and exits 2", async (args, why) => {
    const run = await tally(["workspace", ...args], { TALLY_DATA_DIR: server.dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(why);
  });
});

describe("the CLI's HTTP client over the per-client limit", () => {
  it("waits as Retry-After asks and sends again: every batch stored once", { timeout: 120_000 }, async () => {
    // 120 a minute: a burst of 120, then 2 a second. 130 requests must wait for ten of them.
    const t = await startInProcess({ TALLY_RATE_LIMIT_PER_IP: "120" });
    try {
      const ws = await createWorkspace(t.url, ADMIN_TOKEN, "Paced");
      let refusals = 0;
      const browser = new ApiClient({
        baseUrl: t.url,
        key: ws.public_key,
        onThrottled: (status, waitMs) => {
          expect(status).toBe(429);
          expect(waitMs).toBeGreaterThanOrEqual(1000);
          refusals++;
        },
      });
      for (let i = 0; i < 130; i++)
        await browser.request(
          "POST",
          `/t/collect?k=${ws.public_key}`,
          { events: [{ event_name: "Lead", event_id: `paced-${i}` }] },
          { contentType: "text/plain" },
        );
      // Every one of the 130 is stored once: nothing lost to the 429s, nothing doubled.
      const m = await ws.api("GET", "/v1/metrics?bucket=hour");
      const b = m.body.buckets as { accepted: number; duplicates: number }[];
      expect(b.reduce((n, x) => n + x.accepted, 0)).toBe(130);
      expect(b.reduce((n, x) => n + x.duplicates, 0)).toBe(0);
      // And the limit did bite: the client was asked to wait, and did.
      expect(refusals).toBeGreaterThan(0);
    } finally {
      await t.cleanup();
    }
  });
});
