// The rules panel of the Performance view in real Chromium against the real server (in process, loopback): a rule
// created in the UI fires a signal, on a conversion posted over HTTP, that appears on screen.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { artifacts, hasChromium, openDashboard, type Dashboard } from "../helpers/dashboard-browser.js";
import type { createWorkspace, startInProcess } from "../helpers/server.js";
import { nowSeconds } from "../helpers/server.js";

if (!hasChromium) console.log("skipping rules browser tests: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("Rules panels of the Performance view in Chromium", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let d: Dashboard;
  let page: Page;

  beforeAll(async () => {
    d = await openDashboard("Rules Shop");
    ({ t, ws, page } = d);
  });
  afterAll(async () => {
    await d?.close();
  });

  it("a rule created in the UI fires a signal that appears on screen", { timeout: 30_000 }, async () => {
    await d.signIn();
    await page.goto(`${t.url}/w/${ws.id}/performance`);
    await page.getByRole("heading", { name: "Rules", exact: true }).waitFor({ timeout: 5000 });

    // Nonsense is refused naming the field.
    const form = page.getByRole("form", { name: "New rule" });
    await form.getByLabel("Name").fill("Zero window");
    await form.getByLabel("Window (hours)").fill("0");
    await form.getByRole("button", { name: "Create rule" }).click();
    await page.getByRole("alert").filter({ hasText: "window_hours" }).waitFor({ timeout: 5000 });

    await form.getByLabel("Name").fill("First sale");
    await form.getByLabel("Metric").selectOption("conversions");
    await form.getByLabel("Is").selectOption(">=");
    await form.getByLabel("Threshold").fill("1");
    await form.getByLabel("Window (hours)").fill("24");
    await form.getByLabel("Signal").selectOption("increase_budget");
    await form.getByRole("button", { name: "Create rule" }).click();
    await page.locator("tr[data-rule]").filter({ hasText: "First sale" }).waitFor({ timeout: 5000 });

    const clicks = await ws.api("POST", "/v1/clicks", {
      data: [{ time: nowSeconds() - 60, platform: "google", campaign: "Spring", click_id: "ui-click-1" }],
    });
    expect(clicks.status).toBe(200);
    const ev = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds() - 2,
          event_id: "ui-rule-1",
          user_data: { click_id: "ui-click-1" },
          custom_data: { value: 40, currency: "USD" },
        },
      ],
    });
    expect(ev.status).toBe(200);
    const item = page.locator("li.signal-item").filter({ hasText: "google/Spring" });
    await item.waitFor({ timeout: 5000 });
    expect(await item.textContent()).toContain("increase_budget");
    await page.screenshot({ path: join(artifacts, "dashboard-rules.png"), fullPage: true });
    expect(d.pageErrors).toEqual([]);
  });
});
