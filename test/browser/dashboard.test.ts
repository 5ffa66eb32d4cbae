// The dashboard in real Chromium against the real server (in-process, on loopback): login,
// the live feed, the attribution model switch, the test-events view, a flood, and CSRF.
// Screenshots land in test-artifacts/ (git-ignored).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log("skipping dashboard browser tests: /usr/bin/chromium is missing");

const artifacts = join(repoRoot(), "test-artifacts");

describe.skipIf(!hasChromium)("dashboard in Chromium", () => {
  let t: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let evil: Server;
  let evilUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The dashboard is served from the build output (dist/public).
    execFileSync(process.execPath, [join(repoRoot(), "scripts/build.mjs"), "--if-needed"], {
      stdio: "inherit",
    });
    mkdirSync(artifacts, { recursive: true });
    t = await startInProcess();
    ws = await createWorkspace(t.url, ADMIN_TOKEN, "Northwind Outdoor");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // Another origin (same host, other port) with a form that posts to Tally's API.
    evil = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><form id="f" method="POST" action="${t.url}/v1/workspaces" enctype="text/plain">
        <input name='{"name":"Evil corp","x":"' value='"}'></form><script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await t?.cleanup();
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(artifacts, `dashboard-${name}.png`), fullPage: true });
  const tab = (name: string) => page.getByRole("tab", { name });

  it("logs in with the admin token and lists the workspace", async () => {
    await page.goto(t.url);
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not the admin token" }).waitFor();
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Northwind Outdoor" }).waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "tally_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });
    await shot("overview");
  });

  it("shows a conversion posted over HTTP in the live feed within a second", async () => {
    await page.getByRole("link", { name: "Open Northwind Outdoor" }).click();
    await page.getByText("No conversions yet").waitFor();
    expect(await page.locator("pre").first().textContent()).toContain(`data-key="${ws.public_key}"`);
    await page.locator(".live-badge", { hasText: "Live" }).waitFor();
    expect(await tab("Live").getAttribute("aria-selected")).toBe("true");

    const res = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          event_id: "order-feed-1",
          custom_data: { value: 123.45, currency: "USD" },
        },
      ],
    });
    expect(res.body.accepted).toBe(1);
    const row = page.locator(".feed tbody tr", { hasText: "$123.45" });
    await row.waitFor({ timeout: 1000 });
    expect(await row.textContent()).toContain("Purchase");
    await shot("live");
  });

  it("replaces a feed row when the server's copy supersedes the browser's", async () => {
    const feedRows = page.locator(".feed tbody tr:not(.spacer)");
    const before = await feedRows.count();
    const collect = await client(t.url)("POST", `/t/collect?k=${ws.public_key}`, {
      events: [
        { event_name: "Purchase", event_id: "order-feed-2", custom_data: { value: 1.5, currency: "USD" } },
      ],
    });
    expect(collect.status).toBe(204);
    await page.locator(".feed tbody tr", { hasText: "$1.50" }).waitFor({ timeout: 2000 });
    expect(await feedRows.count()).toBe(before + 1);

    const res = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          event_id: "order-feed-2",
          custom_data: { value: 77.77, currency: "USD" },
        },
      ],
    });
    expect(res.body.duplicates).toBe(1);
    await page.locator(".feed tbody tr", { hasText: "$77.77" }).waitFor({ timeout: 2000 });
    expect(await page.locator(".feed tbody tr", { hasText: "$1.50" }).count()).toBe(0);
    expect(await feedRows.count()).toBe(before + 1);
    await shot("live-superseded");
  });

  it("switches the attribution model and the report changes", async () => {
    // An older Google click, then a tracking-link click on Meta, for the same person.
    const link = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/",
      platform: "meta",
      campaign: "spring-sale",
      ad: "video-15s",
    });
    await ws.api("POST", "/v1/clicks", {
      data: [{ time: nowSeconds() - 7200, platform: "google", campaign: "brand", gclid: "G-dash-1" }],
    });
    const redirect = await fetch(`${t.url}/c/${link.body.id}`, { redirect: "manual" });
    const clickId = new URL(redirect.headers.get("location")!).searchParams.get("tally_click")!;
    const conv = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds() + 1,
          event_id: "order-attr-1",
          custom_data: { value: 80, currency: "USD" },
          user_data: { click_id: clickId, gclid: "G-dash-1" },
        },
      ],
    });
    expect(conv.body.accepted).toBe(1);

    await tab("Attribution").click();
    const body = page.locator(".report tbody");
    await body.locator("th", { hasText: "meta" }).waitFor();
    expect(await body.locator("th", { hasText: "google" }).count()).toBe(0);

    await page.getByRole("button", { name: "First click" }).click();
    expect(await page.getByRole("button", { name: "First click" }).getAttribute("aria-pressed")).toBe("true");
    await body.locator("th", { hasText: "google" }).waitFor();
    expect(await body.locator("th", { hasText: "meta" }).count()).toBe(0);

    await page.getByRole("button", { name: "Linear" }).click();
    await body.locator("th", { hasText: "meta" }).waitFor();
    await body.locator("th", { hasText: "google" }).waitFor();
    await page.getByLabel("Group by").selectOption("campaign");
    await body.locator("th", { hasText: "spring-sale" }).waitFor();
    await shot("attribution");
  });

  it("shows a rejected event with its error, and a test event, in the test view", async () => {
    await tab("Test events").click();
    await page.getByText("No test events in the last hour").waitFor();
    await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          custom_data: { currency: "USD" },
          user_data: { email: "jane.doe@example.com" },
        },
      ],
    });
    await ws.api("POST", "/v1/events", {
      test_event_code: "TEST42",
      data: [{ event_name: "Lead", event_time: nowSeconds(), event_id: "lead-1" }],
    });

    const rejected = page.locator(".event-item", { hasText: "Rejected" });
    await rejected.waitFor();
    expect(await rejected.textContent()).toContain("missing_field");
    expect(await rejected.textContent()).toContain("`custom_data.value` is required");
    await page.locator(".event-item", { hasText: "TEST42" }).waitFor();

    await rejected.locator("summary").click();
    const received = await rejected.locator("pre.json").textContent();
    expect(received).toContain("j•••@example.com");
    expect(received).not.toContain("jane.doe");
    await shot("test-events");

    // History survives a reload (GET /v1/test-events).
    await page.reload();
    await page.locator(".event-item", { hasText: "missing_field" }).waitFor();
  });

  it("keeps the last 200 rows and stays responsive under a flood of conversions", async () => {
    await tab("Live").click();
    await page.locator(".live-badge", { hasText: "Live" }).waitFor();
    const sends = [];
    for (let i = 0; i < 20; i++) {
      const data = Array.from({ length: 100 }, (_, k) => ({
        event_name: "Purchase",
        event_time: nowSeconds(),
        event_id: `flood-${i}-${k}`,
        custom_data: { value: 10 + k, currency: "USD" },
      }));
      sends.push(ws.api("POST", "/v1/events", { data }));
      await new Promise((r) => setTimeout(r, 50));
    }
    const results = await Promise.all(sends);
    expect(results.every((r) => r.body.accepted === 100)).toBe(true);
    // The feed keeps the last 200 (only those in view are in the DOM).
    await page.waitForFunction(() => document.querySelector(".feed")?.getAttribute("data-rows") === "200");
    await page.getByText("Latest 200").waitFor();
    // The tiles catch up from the per-second metrics message (2,000 and the 3 before, the
    // superseded one counted once).
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".tile")].some((el) => el.textContent?.includes("2,003")),
    );
    await tab("Setup").click();
    await page.getByRole("heading", { name: "Conversion actions" }).waitFor();
    await tab("Live").click();
    expect(await page.locator(".feed").getAttribute("data-rows")).toBe("200");
    // The newest is on top, and scrolling down reaches the 200th.
    expect(await page.locator(".feed tbody tr:not(.spacer)").first().textContent()).toContain("$109.00");
    await page.locator(".feed-card .table-wrap").evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator(".feed tbody tr[aria-rowindex='201']").waitFor();
    await shot("flood");
  });

  it("moves between tabs with the arrow keys", async () => {
    await tab("Live").focus();
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction(() => document.activeElement?.textContent?.startsWith("Alerts") === true);
    expect(await tab("Alerts").getAttribute("aria-selected")).toBe("true");
    expect(new URL(page.url()).pathname).toBe(`/w/${ws.id}/alerts`);
  });

  it("refuses a cross-site form post to POST /v1/workspaces (CSRF)", async () => {
    const before = (await client(t.url, ADMIN_TOKEN)("GET", "/v1/workspaces")).body.data.length;
    const attack = await context.newPage();
    const answered = attack.waitForResponse(
      (r) => r.url() === `${t.url}/v1/workspaces` && r.request().method() === "POST",
    );
    await attack.goto(evilUrl);
    const res = await answered;
    expect(res.status()).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("csrf_failed");
    // The session cookie did ride along (same site, other origin): the CSRF check refused it.
    expect((await res.request().allHeaders()).cookie).toContain("tally_session=");
    const after = (await client(t.url, ADMIN_TOKEN)("GET", "/v1/workspaces")).body.data;
    expect(after.length).toBe(before);
    expect(after.some((w: { name: string }) => w.name === "Evil corp")).toBe(false);
    await attack.close();
  });

  it("creates a workspace from the dashboard and shows its secret key once", async () => {
    await page.goto(t.url);
    await page.getByRole("button", { name: "New workspace" }).click();
    await page.getByLabel("Name").fill("Lumen Skincare");
    await page.getByLabel("Currency").fill("EUR");
    await page.getByRole("button", { name: "Create workspace" }).click();
    const secret = await page.getByLabel("Secret key", { exact: true }).textContent();
    expect(secret).toMatch(/^sk_/);
    const created = await client(t.url, secret!)("GET", "/v1/workspace");
    expect(created.body).toMatchObject({ name: "Lumen Skincare", currency: "EUR" });
    await shot("created");
    await page.getByRole("button", { name: /I saved it/ }).click();
    await page.getByRole("heading", { name: "Conversion actions" }).waitFor();
    expect(await page.locator("body").textContent()).not.toContain(secret!);
    await shot("setup");
  });

  it("logs out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Admin token").waitFor();
    expect((await context.cookies()).find((c) => c.name === "tally_session")).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });
});
