// The Experiments view in real Chromium against the real server (in-process, on loopback): the
// variants side by side, and a conversion posted over HTTP moves the variant's rate on screen
// without a reload (live feed; the time it took is printed).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, hasChromium, openDashboard, type Dashboard } from "../helpers/dashboard-browser.js";
import { nowSeconds } from "../helpers/server.js";

if (!hasChromium) console.log("skipping experiments view browser tests: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("Experiments view in Chromium", () => {
  let d: Dashboard;

  beforeAll(async () => {
    d = await openDashboard("AB Shop");
  });
  afterAll(async () => {
    await d?.close();
  });

  const send = (events: unknown[]) => d.ws.api("POST", "/v1/events", { data: events });
  const exposure = (anon: string, variant: string) => ({
    event_name: "Exposure",
    event_time: nowSeconds() - 600,
    user_data: { anonymous_id: anon },
    custom_data: { experiment: "checkout-v2", variant },
  });
  const purchase = (anon: string, value: number) => ({
    event_name: "Purchase",
    event_time: nowSeconds() - 10,
    user_data: { anonymous_id: anon },
    custom_data: { value, currency: "USD" },
  });

  it("shows the variants side by side and moves a rate without a reload when a conversion arrives", async () => {
    const exposures = [
      ...Array.from({ length: 4 }, (_, i) => exposure(`a${i}`, "A")),
      ...Array.from({ length: 4 }, (_, i) => exposure(`b${i}`, "B")),
    ];
    expect((await send(exposures)).body.accepted).toBe(8);
    expect((await send([purchase("a0", 10), purchase("b0", 20)])).body.accepted).toBe(2);

    const page = d.page;
    await d.signIn();
    await page.goto(`${d.t.url}/w/${d.ws.id}/experiments`);
    await page.locator(".live-badge", { hasText: "Live" }).waitFor();
    expect(await page.getByRole("tab", { name: "Experiments" }).getAttribute("aria-selected")).toBe("true");

    const table = page.getByRole("table", { name: "Variants of checkout-v2" });
    const rate = (v: string) => table.locator(`tr[data-variant="${v}"] [data-field="rate"]`);
    await expect.poll(() => rate("B").textContent(), { timeout: 5000 }).toBe("25.00%");
    expect(await rate("A").textContent()).toBe("25.00%");
    expect(await table.locator('tr[data-variant="A"]').textContent()).toContain("control");
    expect(await table.locator('tr[data-variant="B"] [data-field="lift"]').textContent()).toBe("0.0%");
    await page.getByRole("status").filter({ hasText: "Too few visitors" }).waitFor();

    // A second buyer in B: its rate moves from 25% to 50% without a reload.
    const posted = Date.now();
    expect((await send([purchase("b1", 30)])).body.accepted).toBe(1);
    await rate("B").filter({ hasText: "50.00%" }).waitFor({ timeout: 5000 });
    console.log(`experiments view: a conversion reached the screen in ${Date.now() - posted} ms`);
    expect(await table.locator('tr[data-variant="B"] [data-field="lift"]').textContent()).toBe("+100.0%");
    await page.screenshot({ path: join(artifacts, "experiments-view.png"), fullPage: true });
    expect(d.pageErrors).toEqual([]);
  });
});
