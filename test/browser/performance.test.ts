// The Performance view in real Chromium against the real server (in-process, on loopback):
// spend and a conversion meet on a campaign's row, a second conversion posted over HTTP changes
// that row's CPA on screen within a second (live feed, no reload), and the table sorts.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { artifacts, hasChromium, openDashboard, type Dashboard } from "../helpers/dashboard-browser.js";
import type { createWorkspace, startInProcess } from "../helpers/server.js";
import { nowSeconds } from "../helpers/server.js";

if (!hasChromium) console.log("skipping performance view browser tests: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("Performance view in Chromium", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let d: Dashboard;
  let page: Page;

  beforeAll(async () => {
    d = await openDashboard("Perf Shop");
    ({ t, ws, page } = d);
  });
  afterAll(async () => {
    await d?.close();
  });

  const purchase = (id: string, fbclid: string, value: number) =>
    ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          event_id: id,
          user_data: { fbclid },
          custom_data: { value, currency: "USD" },
        },
      ],
    });

  it("changes a campaign's CPA on screen within a second of a conversion posted over HTTP", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const spend = await ws.api("POST", "/v1/spend", {
      data: [
        { date: today, platform: "meta", campaign: "Brand", campaign_id: "120210", spend: 100 },
        { date: today, platform: "google", campaign: "Search", spend: 30 },
      ],
    });
    expect(spend.body.accepted).toBe(2);
    const clicks = await ws.api("POST", "/v1/clicks", {
      data: [
        { time: nowSeconds() - 600, platform: "meta", campaign: "120210", fbclid: "fb-1" },
        { time: nowSeconds() - 500, platform: "meta", campaign: "120210", fbclid: "fb-2" },
      ],
    });
    expect(clicks.body.accepted).toBe(2);
    expect((await purchase("perf-1", "fb-1", 80)).body.accepted).toBe(1);

    await d.signIn();
    await page.goto(`${t.url}/w/${ws.id}/performance`);
    await page.locator(".live-badge", { hasText: "Live" }).waitFor();
    expect(await page.getByRole("tab", { name: "Performance" }).getAttribute("aria-selected")).toBe("true");

    const brand = page.locator('tr[data-platform="meta"][data-key="Brand"]');
    await brand.locator('[data-col="cpa"]', { hasText: "$100.00" }).waitFor();
    expect(await brand.locator('[data-col="roas"]').textContent()).toBe("0.80×");
    const search = page.locator('tr[data-platform="google"][data-key="Search"]');
    expect(await search.locator('[data-col="cpa"]').textContent()).toBe("—");
    await page.screenshot({ path: join(artifacts, "performance-before.png"), fullPage: true });

    expect((await purchase("perf-2", "fb-2", 70)).body.accepted).toBe(1);
    await brand.locator('[data-col="cpa"]', { hasText: "$50.00" }).waitFor({ timeout: 1000 });
    expect(await brand.locator('[data-col="roas"]').textContent()).toBe("1.50×");
    await page.screenshot({ path: join(artifacts, "performance-after.png"), fullPage: true });
  });

  it("sorts by a column and back", async () => {
    const keys = () =>
      page
        .locator("table.report tbody tr")
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-key")));
    await page.getByRole("button", { name: /^Spend/ }).click(); // spend ascending (it was descending)
    expect(await keys()).toEqual(["Search", "Brand"]);
    await page.getByRole("button", { name: /^CPA/ }).click(); // CPA descending, the missing one last
    expect(await keys()).toEqual(["Brand", "Search"]);
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain("CPA");
    expect(d.pageErrors).toEqual([]);
  });
});
