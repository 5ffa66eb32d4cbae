// The tag reports browser automation: `user_data.webdriver: true` when `navigator.webdriver`
// is set (as it is in this test's own automated Chromium), nothing otherwise.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { buildTracker } from "../../packages/tracker/src/node/build.js";
import {
  hasChromium,
  launchChromium,
  startCollector,
  startSite,
  tagPage,
} from "../../packages/tracker/src/node/harness.js";
import type { Collector, SentEvent, Site } from "../../packages/tracker/src/node/harness.js";

if (!hasChromium) console.log("skipping the tag's webdriver test: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("tally.js reports navigator.webdriver", () => {
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

  async function pageViewOf(path: string, initScript?: string): Promise<SentEvent> {
    const context = await browser.newContext();
    try {
      if (initScript) await context.addInitScript(initScript);
      const page = await context.newPage();
      const url = site.page(path, tagPage(tag));
      await page.goto(url);
      return await collector.waitForEvent((e) => e.event_source_url === url, `the PageView of ${path}`);
    } finally {
      await context.close();
    }
  }

  it("an automated browser's events carry user_data.webdriver: true", async () => {
    const pv = await pageViewOf("/automated");
    expect(pv.user_data.webdriver).toBe(true);
  });

  it("a browser without navigator.webdriver sends no such field", async () => {
    const pv = await pageViewOf(
      "/person",
      "Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false });",
    );
    expect(pv.user_data.anonymous_id).toMatch(/^[0-9a-f]{32}$/);
    expect("webdriver" in pv.user_data).toBe(false);
  });
});
