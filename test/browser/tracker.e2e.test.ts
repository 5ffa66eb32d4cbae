// The browser tag against the real Tally server: a click on a tracking link lands on the shop,
// the tag reports the Purchase with the shop's order id as event_id, the shop's backend reports
// the same order to /v1/events, and Tally counts exactly one conversion, attributed to the click.

import { mkdirSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildTracker } from "@tally/tracker/node/build";
import { hasChromium, launchChromium, startSite, tagPage, waitFor } from "@tally/tracker/node/harness";
import type { Site } from "@tally/tracker/node/harness";
import { createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { repoRoot } from "../../src/main.js";

if (!hasChromium) console.log("skipping end-to-end tests of the tag: /usr/bin/chromium is missing");

type Api = Awaited<ReturnType<typeof createWorkspace>>["api"];

describe.skipIf(!hasChromium)("tally.js with the real server", () => {
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  let browser: Browser;
  let site: Site;
  let api: Api;
  let publicKey: string;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];

  beforeAll(async () => {
    // The server serves dist/public/tally.js; put the current source's bundle there (the bytes
    // `node scripts/build.mjs` writes) so this never runs a stale tag.
    const { code } = await buildTracker();
    const out = join(repoRoot(), "dist", "public", "tally.js");
    if (!existsSync(out) || readFileSync(out, "utf8") !== code) {
      mkdirSync(join(repoRoot(), "dist", "public"), { recursive: true });
      writeFileSync(out, code);
    }
    [tally, browser, site] = await Promise.all([startInProcess(), launchChromium(), startSite()]);
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), site?.close(), tally?.cleanup()]);
  });
  beforeEach(async () => {
    const ws = await createWorkspace(tally.url, undefined, `Shop ${Date.now()}`);
    api = ws.api;
    publicKey = ws.public_key;
    const patched = await api("PATCH", "/v1/workspace", { allowed_origins: [site.url] });
    expect(patched.status).toBe(200);
    context = await browser.newContext();
    page = await context.newPage();
    pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e));
  });
  afterEach(async () => {
    await context.close();
  });

  const shopPage = (path: string, head = "") =>
    site.page(
      path,
      tagPage(`${tally.url}/t/tally.js`, { head }).replace('data-key="pk_test"', `data-key="${publicKey}"`),
    );

  const conversions = async () => {
    const r = await api("GET", `/v1/conversions?from=${nowSeconds() - 3600}&to=${nowSeconds() + 3600}`);
    expect(r.status).toBe(200);
    return r.body.data as {
      event_name: string;
      value: number;
      attribution: { touches: { platform: string; campaign: string }[] };
    }[];
  };

  // What the shop's backend sends: the order, and the visitor's anonymous id read from the
  // first-party `_tally_id` cookie of the request (docs/tracker.md, "Pairing with your server").
  const serverPurchase = async (orderId: string) => {
    const anonymousId = (await context.cookies(site.url)).find((c) => c.name === "_tally_id")?.value;
    expect(anonymousId).toMatch(/^[0-9a-f]{32}$/);
    return {
      event_name: "Purchase",
      event_time: nowSeconds(),
      event_id: `order-${orderId}`,
      action_source: "website",
      user_data: { external_id: "crm-77", anonymous_id: anonymousId },
      custom_data: { value: 99.99, currency: "USD", order_id: orderId },
    };
  };

  async function landFromAd(): Promise<void> {
    const landing = shopPage("/landing");
    const link = await api("POST", "/v1/links", {
      destination_url: `${landing}?gclid=G-e2e`,
      platform: "google",
      campaign: "spring",
    });
    expect(link.status).toBe(201);
    await page.goto(link.body.url as string);
    expect(page.url()).toMatch(/[?&]tally_click=[^&]+/);
    expect(page.url()).toContain("gclid=G-e2e");
    // A shop's backend stamps whole seconds: buy at least a second after the click, as people do.
    await new Promise((r) => setTimeout(r, 1100));
  }

  it.each([
    ["the browser first", "1001", true],
    ["the server first", "1002", false],
  ])("counts one conversion when the same order arrives from both, %s", async (_, orderId, browserFirst) => {
    await landFromAd();
    const thanks = shopPage(
      "/thanks",
      `<script>tally('identify', {external_id: 'crm-77'});
        tally('track', 'Purchase', {value: 99.99, currency: 'USD', order_id: '${orderId}'}, {event_id: 'order-${orderId}'});</script>`,
    );
    let serverStatus: string;
    if (browserFirst) {
      await page.goto(thanks);
      await waitFor(async () => (await conversions()).length === 1, "the browser's Purchase", 10_000);
      const r = await api("POST", "/v1/events", { data: [await serverPurchase(orderId)] });
      serverStatus = r.body.results[0].status;
    } else {
      const r = await api("POST", "/v1/events", { data: [await serverPurchase(orderId)] });
      serverStatus = r.body.results[0].status;
      await page.goto(thanks);
    }
    expect(serverStatus).toBe(browserFirst ? "duplicate" : "accepted");

    // Let the browser's copy arrive (and be recognised as the duplicate) before counting.
    await waitFor(
      async () => {
        const m = await api(
          "GET",
          `/v1/metrics?from=${nowSeconds() - 3600}&to=${nowSeconds() + 3600}&bucket=hour`,
        );
        return m.body.buckets?.some((b: { duplicates: number }) => b.duplicates >= 1);
      },
      "the duplicate to be recorded",
      10_000,
    );
    const list = await conversions();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ event_name: "Purchase", value: 99.99 });
    expect(list[0]!.attribution.touches).toEqual([
      expect.objectContaining({ platform: "google", campaign: "spring", credit: 1 }),
    ]);
    expect(pageErrors).toEqual([]);
  });
});
