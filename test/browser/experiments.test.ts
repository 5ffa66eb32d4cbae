// The Experiments view in real Chromium against the real server (in-process, on loopback): the
// variants side by side, and a conversion posted over HTTP moves the variant's rate on screen
// without a reload (live feed; the time it took is printed).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log("skipping experiments view browser tests: /usr/bin/chromium is missing");
const artifacts = join(repoRoot(), "test-artifacts");

describe.skipIf(!hasChromium)("Experiments view in Chromium", () => {
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
    ws = await createWorkspace(t.url, ADMIN_TOKEN, "AB Shop");
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

  const send = (events: unknown[]) => ws.api("POST", "/v1/events", { data: events });
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

    await page.goto(t.url);
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "AB Shop" }).waitFor();
    await page.goto(`${t.url}/w/${ws.id}/experiments`);
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
    expect(pageErrors).toEqual([]);
  });
});
