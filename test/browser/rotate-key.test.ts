// The dashboard's "Rotate a key" control in real Chromium against the real server (in-process,
// on loopback): rotating the public key puts the new one in the tag snippet, rotating the
// secret key shows the new one once; each old key works for the grace chosen (none: refused
// from the answer on). Screenshots land in test-artifacts/ (git-ignored).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log("skipping the key rotation browser test: /usr/bin/chromium is missing");

const artifacts = join(repoRoot(), "test-artifacts");

const beacon = (url: string, pk: string) =>
  fetch(`${url}/t/collect?k=${pk}`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify({ events: [{ event_name: "PageView" }] }),
  }).then((r) => r.status);

describe.skipIf(!hasChromium)("rotating keys from the dashboard's setup view", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, [join(repoRoot(), "scripts/build.mjs"), "--if-needed"], {
      stdio: "inherit",
    });
    mkdirSync(artifacts, { recursive: true });
    t = await startInProcess();
    ws = await createWorkspace(t.url, ADMIN_TOKEN, "Key Keeper");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(t.url);
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Open Key Keeper" }).click();
    await page.getByRole("tab", { name: "Setup" }).click();
    await page.getByRole("heading", { name: "Rotate a key" }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it("the public key, at once: the tag snippet shows the new key, the old one is refused", async () => {
    expect(await page.locator("pre").first().textContent()).toContain(`data-key="${ws.public_key}"`);
    await page.getByLabel("Key to rotate").selectOption("public");
    await page.getByLabel("Grace period").selectOption("0");
    await page.getByRole("button", { name: "Rotate key" }).click();
    const status = page.getByRole("status").filter({ hasText: "New public key" });
    await status.waitFor();
    const pk = (await status.locator("code.new-key").textContent())!;
    expect(pk).toMatch(/^pk_[A-Za-z0-9_-]{16,64}$/);
    expect(pk).not.toBe(ws.public_key);
    await page
      .locator("pre", { hasText: `data-key="${pk}"` })
      .first()
      .waitFor();
    expect(await beacon(t.url, ws.public_key)).toBe(401);
    expect(await beacon(t.url, pk)).toBe(204);
    await page.screenshot({ path: join(artifacts, "dashboard-rotate-public.png"), fullPage: true });
  });

  it("the secret key, with an hour of grace: the new key is shown once, both work meanwhile", async () => {
    await page.getByLabel("Key to rotate").selectOption("secret");
    await page.getByLabel("Grace period").selectOption("3600");
    await page.getByRole("button", { name: "Rotate key" }).click();
    const status = page.getByRole("status").filter({ hasText: "New secret key" });
    await status.waitFor();
    const sk = (await status.locator("code.new-key").textContent())!;
    expect(sk).toMatch(/^sk_[A-Za-z0-9_-]{32,64}$/);
    expect(await status.textContent()).toContain("The old secret key works until");
    expect((await client(t.url, sk)("GET", "/v1/workspace")).body.id).toBe(ws.id);
    expect((await ws.api("GET", "/v1/workspace")).status).toBe(200); // in its hour of grace
    await page.screenshot({ path: join(artifacts, "dashboard-rotate-secret.png"), fullPage: true });
    // Leaving the view forgets it: the secret key is not shown again.
    await page.getByRole("tab", { name: "Live" }).click();
    await page.getByRole("tab", { name: "Setup" }).click();
    await page.getByRole("heading", { name: "Rotate a key" }).waitFor();
    expect(await page.content()).not.toContain(sk);
    expect(pageErrors).toEqual([]);
  });
});
