// tally('experiment', name, variant) in real Chromium: an Exposure, then the page's later events
// carry the experiment and the variant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { buildTracker } from "../../packages/tracker/src/node/build.js";
import {
  hasChromium,
  launchChromium,
  startCollector,
  startSite,
  tagPage,
  waitFor,
} from "../../packages/tracker/src/node/harness.js";
import type { Collector, Site } from "../../packages/tracker/src/node/harness.js";

describe.skipIf(!hasChromium)("tally('experiment') in Chromium", () => {
  let browser: Browser;
  let collector: Collector;
  let site: Site;
  let tag: string;

  beforeAll(async () => {
    const { code } = await buildTracker();
    [browser, collector, site] = await Promise.all([launchChromium(), startCollector(code), startSite()]);
    tag = `${collector.url}/t/tally.js`;
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), collector?.close(), site?.close()]);
  });

  it("sends an Exposure and tags the page's later events", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const head = `<script>tally('experiment', 'checkout-v2', 'B'); tally('track', 'Purchase', {value: 20, currency: 'USD'});</script>`;
    await page.goto(site.page("/exp", tagPage(tag, { head })));
    await waitFor(() => collector.events().length >= 3, "PageView, Exposure and Purchase");
    const events = collector.events();
    expect(events.map((e) => e.event_name)).toEqual(["PageView", "Exposure", "Purchase"]);
    const [pageView, exposure, purchase] = events;
    expect(pageView!.custom_data).not.toHaveProperty("experiment");
    expect(exposure!.custom_data).toEqual({ experiment: "checkout-v2", variant: "B" });
    expect(purchase!.custom_data).toMatchObject({ experiment: "checkout-v2", variant: "B", value: 20 });
    expect(exposure!.user_data.anonymous_id).toBe(purchase!.user_data.anonymous_id);
    await context.close();
  });
});
