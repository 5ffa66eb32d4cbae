// The Reconciliation view in real Chromium against the real server (in-process, on loopback):
// CRM orders and tracked purchases meet in the monthly table, the match-rate chart is drawn, and
// a month's drill-down lists the missing order and the unconfirmed conversion by id and value,
// with no personal data on screen.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log("skipping reconciliation view browser tests: /usr/bin/chromium is missing");
const artifacts = join(repoRoot(), "test-artifacts");

describe.skipIf(!hasChromium)("Reconciliation view in Chromium", () => {
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
    ws = await createWorkspace(t.url, ADMIN_TOKEN, "Recon Shop");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it("shows the month, the match rate, and the missing and unconfirmed orders", async () => {
    const now = nowSeconds();
    const events = await ws.api("POST", "/v1/events", {
      data: [
        ["W-1", 40],
        ["W-2", 60],
        ["W-9", 25],
      ].map(([order, value], i) => ({
        event_name: "Purchase",
        event_time: now - 120 + i,
        user_data: { email: `buyer${i}@example.com` },
        custom_data: { value, currency: "USD", order_id: order },
      })),
    });
    expect(events.body.accepted).toBe(3);
    const crm = await ws.api("POST", "/v1/crm/orders", {
      data: [
        { order_id: "W-1", time: now - 130, value: 40, status: "completed" },
        { order_id: "W-2", time: now - 130, value: 60, status: "refunded" },
        { order_id: "W-3", time: now - 130, value: 75, status: "completed" },
      ],
    });
    expect(crm.body.accepted).toBe(3);

    await page.goto(t.url);
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Recon Shop" }).waitFor();
    await page.goto(`${t.url}/w/${ws.id}/reconciliation`);
    expect(await page.getByRole("tab", { name: "Reconciliation" }).getAttribute("aria-selected")).toBe(
      "true",
    );

    const month = new Date().toISOString().slice(0, 7);
    const row = page.locator(`table[aria-label="Reconciliation by month"] tbody tr[data-key="${month}"]`);
    await row.waitFor();
    expect(await row.locator('[data-col="crm"]').textContent()).toBe("3");
    expect(await row.locator('[data-col="matched"]').textContent()).toBe("2");
    expect(await row.locator('[data-col="refunded"]').textContent()).toBe("1");
    expect(await row.locator('[data-col="rate"]').textContent()).toMatch(/66\.7/);
    await page.locator(".chart-box canvas").first().waitFor();

    await row.getByRole("button", { name: month }).click();
    const missing = page.getByRole("table", { name: `Missing orders in ${month}` });
    await missing.getByText("W-3").waitFor();
    expect(await missing.textContent()).toMatch(/75/);
    const unconfirmed = page.getByRole("table", { name: `Unconfirmed conversions in ${month}` });
    await unconfirmed.getByText("W-9").waitFor();
    const text = (await page.locator("#tab-panel").textContent()) ?? "";
    expect(text).not.toMatch(/@example\.com|buyer/);
    await page.screenshot({ path: join(artifacts, "reconciliation.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
