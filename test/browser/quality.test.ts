// The Quality view and the live feed's flag badge in real Chromium against the real server
// (in-process, on loopback): a link's clicks from one address beyond the limit and a bot's
// conversion show in the table, the chart (uPlot canvas) and the top lists (a truncated key,
// never an address); a flagged conversion posted over HTTP arrives in the feed with a badge,
// and "Flagged only" filters the feed.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { artifacts, hasChromium, openDashboard, type Dashboard } from "../helpers/dashboard-browser.js";
import { ADMIN_TOKEN, nowSeconds } from "../helpers/server.js";

if (!hasChromium) console.log("skipping quality view browser tests: /usr/bin/chromium is missing");
const BOT = "python-requests/2.32.3";
const BROWSER =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

describe.skipIf(!hasChromium)("Quality view in Chromium", () => {
  let d: Dashboard;
  let t: Dashboard["t"];
  let ws: Dashboard["ws"];
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    d = await openDashboard("Quality Shop");
    ({ t, ws, page, pageErrors } = d);
  });
  afterAll(async () => {
    await d?.close();
  });

  const purchase = (id: string, ua: string) =>
    ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          event_id: id,
          user_data: { external_id: `crm-${id}`, client_ip_address: "192.0.2.77", client_user_agent: ua },
          custom_data: { value: 20, currency: "USD" },
        },
      ],
    });

  it("shows flagged traffic per campaign, its share over time, top addresses and user agents", async () => {
    await ws.api("PATCH", "/v1/workspace", { quality: { max_clicks_per_ip_per_minute: 2 } });
    const link = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/",
      platform: "google",
      campaign: "Spring",
    });
    const path = new URL(link.body.url as string).pathname;
    for (let i = 0; i < 5; i++)
      await fetch(t.url + path, { redirect: "manual", headers: { "user-agent": BROWSER } });
    expect((await purchase("bot-1", BOT)).body.results[0].quality.flags).toEqual(["bot"]);

    await page.goto(t.url);
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Quality Shop" }).waitFor();
    await page.goto(`${t.url}/w/${ws.id}/quality`);
    expect(await page.getByRole("tab", { name: "Quality" }).getAttribute("aria-selected")).toBe("true");
    const row = page.getByRole("row", { name: /Spring/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/5.*3\s*60%/);
    expect(await row.textContent()).toContain("click_flood");
    await page.locator(".chart-box canvas").first().waitFor();
    expect(await page.locator(".chart-box").getAttribute("data-lines")).toBe("1");
    const addresses = page.getByRole("list", { name: "Top flagged addresses" });
    await addresses.getByRole("listitem").first().waitFor();
    const text = (await addresses.textContent()) ?? "";
    expect(text).toMatch(/a:[\w-]{8}…/);
    expect(text).not.toMatch(/127\.0\.0\.1|192\.0\.2/);
    expect(await page.getByRole("list", { name: "Top flagged user agents" }).textContent()).toContain(BOT);
    await page.screenshot({ path: join(artifacts, "quality-view.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("badges a flagged conversion in the live feed the moment it arrives, and filters on it", async () => {
    await page.goto(`${t.url}/w/${ws.id}/live`);
    await page.locator(".live-badge", { hasText: "Live" }).waitFor();
    await page.locator(".feed .flag-badge", { hasText: "bot" }).first().waitFor(); // history
    expect((await purchase("clean-1", BROWSER)).body.results[0].quality.flags).toEqual([]);
    expect((await purchase("bot-2", BOT)).body.results[0].quality.flags).toEqual(["bot"]);
    await page.waitForFunction(() => document.querySelectorAll(".feed .flag-badge").length === 2);
    expect(await page.locator(".feed").getAttribute("data-rows")).toBe("3");
    await page.getByLabel("Flagged only").check();
    await page.waitForFunction(() => document.querySelector(".feed")?.getAttribute("data-rows") === "2");
    await page.screenshot({ path: join(artifacts, "quality-feed.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
