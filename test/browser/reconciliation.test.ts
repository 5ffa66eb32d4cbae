// The Reconciliation view in real Chromium against the real server (in-process, on loopback):
// CRM orders and tracked purchases meet in the monthly table, the match-rate chart is drawn, and
// a month's drill-down lists the missing order and the unconfirmed conversion by id and value,
// with no personal data on screen.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { artifacts, hasChromium, openDashboard, type Dashboard } from "../helpers/dashboard-browser.js";
import { ADMIN_TOKEN, nowSeconds } from "../helpers/server.js";

if (!hasChromium) console.log("skipping reconciliation view browser tests: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("Reconciliation view in Chromium", () => {
  let d: Dashboard;
  let t: Dashboard["t"];
  let ws: Dashboard["ws"];
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    d = await openDashboard("Recon Shop");
    ({ t, ws, page, pageErrors } = d);
  });
  afterAll(async () => {
    await d?.close();
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
