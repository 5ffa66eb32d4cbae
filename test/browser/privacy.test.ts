// The dashboard's Privacy panel in real Chromium against the real server (in-process, on
// loopback): the erasure log, newest first — when and how many identifiers, never which.
// Screenshots land in test-artifacts/ (git-ignored).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log("skipping the privacy panel browser test: /usr/bin/chromium is missing");

const artifacts = join(repoRoot(), "test-artifacts");

describe.skipIf(!hasChromium)("Privacy panel in Chromium", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let quiet: Awaited<ReturnType<typeof createWorkspace>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(repoRoot(), "scripts/build.mjs"), "--if-needed"], {
      stdio: "inherit",
    });
    mkdirSync(artifacts, { recursive: true });
    t = await startInProcess();
    ws = await createWorkspace(t.url, ADMIN_TOKEN, "Careful shop");
    quiet = await createWorkspace(t.url, ADMIN_TOKEN, "Quiet shop");
    await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Lead",
          event_time: nowSeconds(),
          user_data: { email: "panel.person@example.com", external_id: "panel-ext-1" },
        },
      ],
    });
    expect((await ws.api("POST", "/v1/erasure", { external_id: "panel-ext-1" })).body).toEqual({ erased: 2 });
    expect((await ws.api("POST", "/v1/erasure", { anonymous_id: "never-seen" })).body).toEqual({ erased: 0 });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
    await page.goto(t.url);
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Careful shop" }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it("lists the workspace's erasures, newest first, with how many identifiers — never which", async () => {
    await page.goto(`${t.url}/w/${ws.id}/setup`);
    const panel = page.getByRole("region", { name: "Privacy" });
    const rows = panel.getByRole("table", { name: "Erasure log" }).locator("tbody tr");
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.locator("td.num").allTextContents()).toEqual(["0", "2"]);
    expect(await rows.first().locator("time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);
    const text = (await panel.textContent()) ?? "";
    expect(text).not.toMatch(/panel-ext-1|panel\.person|never-seen/);
    expect(await panel.getByLabel("Erase a person", { exact: true }).textContent()).toContain(
      "tally erase --email",
    );
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, "dashboard-privacy.png"), fullPage: true });
  });

  it("says so when a workspace has erased no one", async () => {
    await page.goto(`${t.url}/w/${quiet.id}/setup`);
    await page.getByText("No erasures yet.").waitFor();
    expect(await page.getByRole("table", { name: "Erasure log" }).count()).toBe(0);
  });
});
