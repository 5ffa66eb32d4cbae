/**
 * `tally quality refresh-ranges` against a loopback server standing in for the providers
 * (never the internet): the real HTTP client and endpoint policy, the real files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { qualityCommand } from "../../src/cli/quality.js";
import { loadDatacenterRanges, RANGES_FILE } from "../../src/quality/datacenter-ranges.js";
import { refreshRanges } from "../../src/quality/refresh-ranges.js";
import { providerFixture } from "./fixtures.js";

/** path → [status, content type, body]; every request is recorded. */
const routes = new Map<string, [number, string, string]>();
const seen: string[] = [];
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? "");
    const r = routes.get(req.url ?? "");
    if (!r) return res.writeHead(404).end("no");
    if (r[0] >= 300 && r[0] < 400) return res.writeHead(r[0], { location: r[2] }).end();
    res.writeHead(r[0], { "content-type": r[1] }).end(r[2]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let dataDir = "";
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "tally-ranges-"));
  routes.clear();
  seen.length = 0;
  routes.set("/aws.json", [200, "application/json", providerFixture("aws")]);
  routes.set("/google.json", [200, "application/json", providerFixture("google")]);
  routes.set("/azure-download", [
    200,
    "text/html",
    `<html><a href="${base}/ServiceTags_Public_20251124.json">download</a></html>`,
  ]);
  routes.set("/ServiceTags_Public_20251124.json", [200, "application/json", providerFixture("azure")]);
  routes.set("/oracle-moved", [301, "", "/oracle.json"]);
  routes.set("/oracle.json", [200, "application/json", providerFixture("oracle")]);
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function runCli(env: Record<string, string>) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  return qualityCommand(["refresh-ranges", "--data-dir", dataDir], {
    env: {
      TALLY_ALLOW_PRIVATE_ENDPOINTS: "1",
      TALLY_AWS_RANGES_URL: `${base}/aws.json`,
      TALLY_GOOGLE_RANGES_URL: `${base}/google.json`,
      TALLY_AZURE_RANGES_URL: `${base}/azure-download`,
      TALLY_ORACLE_RANGES_URL: `${base}/oracle-moved`,
      ...env,
    },
    stdout: out,
    stderr: err,
  }).then((code) => ({ code, stdout, stderr }));
}

describe("tally quality refresh-ranges", () => {
  it("downloads all four lists (Azure through its download page, Oracle through a redirect) and a start loads them", async () => {
    expect(loadDatacenterRanges(dataDir)).toEqual({ matcher: null, providers: [], problem: null });
    const r = await runCli({});
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Amazon Web Services: 3 ranges");
    expect(r.stdout).toContain(`Microsoft Azure: 7 ranges from ${base}/ServiceTags_Public_20251124.json`);
    expect(r.stdout).toContain("Oracle Cloud: 4 ranges");
    expect(r.stdout).toContain(RANGES_FILE);

    const loaded = loadDatacenterRanges(dataDir);
    expect(loaded.providers.map((p) => [p.provider, p.ranges])).toEqual([
      ["aws", 3],
      ["google", 5],
      ["azure", 7],
      ["oracle", 4],
    ]);
    const m = loaded.matcher!;
    for (const ip of ["3.5.141.7", "2600:1f14::9", "34.35.1.1", "13.69.1.1", "130.61.2.3", "2603:c020::1"])
      expect(m.has(ip), ip).toBe(true);
    for (const ip of ["203.0.113.9", "13.32.1.1", "2001:db8::1", "127.0.0.1"])
      expect(m.has(ip), ip).toBe(false);
  });

  it("a provider that fails keeps the list it had; the others are updated; exit 1", async () => {
    await runCli({});
    routes.set("/google.json", [500, "text/plain", "down"]);
    routes.set("/aws.json", [200, "application/json", '{"prefixes": []}']);
    routes.set("/oracle.json", [
      200,
      "application/json",
      '{"regions": [{"region": "x", "cidrs": [{"cidr": "192.0.2.0/24"}]}]}',
    ]);
    const r = await runCli({});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Google Cloud: failed: HTTP 500");
    expect(r.stderr).toContain("kept the 5 ranges from before");
    expect(r.stderr).toContain(
      "Amazon Web Services: failed: no Amazon Web Services range in the file; kept the 3 ranges",
    );
    expect(r.stdout).toContain("Oracle Cloud: 1 ranges");
    const m = loadDatacenterRanges(dataDir).matcher!;
    expect(m.has("34.35.1.1")).toBe(true); // google, kept
    expect(m.has("3.5.141.7")).toBe(true); // aws, kept
    expect(m.has("130.61.2.3")).toBe(false); // oracle, replaced
    expect(m.has("192.0.2.7")).toBe(true);
  });

  it("`off` skips a provider; nothing downloaded at all writes nothing", async () => {
    const r = await runCli({
      TALLY_AWS_RANGES_URL: "off",
      TALLY_GOOGLE_RANGES_URL: "off",
      TALLY_AZURE_RANGES_URL: "off",
      TALLY_ORACLE_RANGES_URL: `${base}/missing.json`,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Amazon Web Services: skipped (off)");
    expect(r.stderr).toContain("Oracle Cloud: failed: HTTP 404");
    expect(loadDatacenterRanges(dataDir).matcher).toBeNull();
    expect(seen).toEqual(["/missing.json"]);
  });

  it("an Azure page without a service tags link fails Azure only", async () => {
    routes.set("/azure-download", [200, "text/html", "<html>moved elsewhere</html>"]);
    const r = await runCli({});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Microsoft Azure: failed: the page has no link to a ServiceTags_Public JSON file",
    );
  });

  it("the endpoint policy holds: a loopback URL is refused without TALLY_ALLOW_PRIVATE_ENDPOINTS, nothing is sent", async () => {
    const r = await runCli({ TALLY_ALLOW_PRIVATE_ENDPOINTS: "0" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Amazon Web Services: failed: 127\.0\.0\.1:\d+ .*https/);
    expect(seen).toEqual([]);
  });

  it("answers usage errors with exit 2", async () => {
    const err = new PassThrough();
    let text = "";
    err.on("data", (d: Buffer) => (text += d.toString()));
    const code = await qualityCommand(["refresh"], { env: {}, stdout: new PassThrough(), stderr: err });
    expect(code).toBe(2);
    expect(text).toContain("usage: tally quality refresh-ranges");
  });
});

describe("loading the ranges at start", () => {
  it("a file that cannot be read loads nothing and says why", () => {
    writeFileSync(join(dataDir, RANGES_FILE), "{broken");
    const loaded = loadDatacenterRanges(dataDir);
    expect(loaded.matcher).toBeNull();
    expect(loaded.problem).toMatch(/JSON/);
    writeFileSync(join(dataDir, RANGES_FILE), '{"version": 2}');
    expect(loadDatacenterRanges(dataDir).problem).toContain("not a version 1 ranges file");
  });

  it("refreshRanges takes any text source (the fetch is injected)", async () => {
    const outcomes = await refreshRanges({
      dataDir,
      urls: { google: "mem:google" },
      fetchText: (url) =>
        Promise.resolve(
          url === "mem:google" ? { ok: true, text: providerFixture("google") } : { ok: false, reason: "?" },
        ),
      now: () => Date.UTC(2026, 10, 29),
    });
    expect(outcomes.map((o) => o.status)).toEqual(["skipped", "updated", "skipped", "skipped"]);
    const file = JSON.parse(readFileSync(join(dataDir, RANGES_FILE), "utf8"));
    expect(file.providers.google).toMatchObject({
      url: "mem:google",
      fetched_at: "2026-11-29T00:00:00.000Z",
      published: "1764402303404",
    });
  });
});
