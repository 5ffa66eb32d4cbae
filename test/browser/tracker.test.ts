// The browser tag in real Chromium, against a stand-in collector (packages/tracker/src/node/harness.ts)
// on one loopback origin and the shop's pages on another.

import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildTracker } from "@tally/tracker/node/build";
import {
  hasChromium,
  launchChromium,
  startCollector,
  startSite,
  tagPage,
  waitFor,
} from "@tally/tracker/node/harness";
import type { Collector, SentEvent, Site } from "@tally/tracker/node/harness";

if (!hasChromium) console.log("skipping browser tests of the tag: /usr/bin/chromium is missing");

const named = (name: string) => (e: SentEvent) => e.event_name === name;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasChromium)("tally.js in Chromium", () => {
  let browser: Browser;
  let collector: Collector;
  let site: Site;
  let tag: string;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];

  beforeAll(async () => {
    const { code } = await buildTracker();
    [browser, collector, site] = await Promise.all([launchChromium(), startCollector(code), startSite()]);
    tag = `${collector.url}/t/tally.js`;
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), collector?.close(), site?.close()]);
  });
  beforeEach(async () => {
    collector.requests.length = 0;
    collector.fail(0, 503);
    context = await browser.newContext();
    page = await context.newPage();
    pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e));
  });
  afterEach(async () => {
    await context.close();
  });

  const storage = () => page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
  const cookieNames = async () => (await context.cookies()).map((c) => c.name);

  it("sends a PageView on load in the wire format of API.md", async () => {
    const url = site.page("/", tagPage(tag));
    await page.goto(url);
    const pv = await collector.waitForEvent(named("PageView"), "PageView");
    const req = collector.requests[0]!;
    expect(req.key).toBe("pk_test");
    expect(req.body.k).toBe("pk_test");
    expect(req.contentType).toMatch(/^text\/plain/);
    expect(req.origin).toBe(site.url);
    expect(pv).toMatchObject({ action_source: "website", event_source_url: url, custom_data: {} });
    expect(pv.event_id).toMatch(/^[0-9a-f]{32}$/);
    expect(Math.abs(pv.event_time - Date.now() / 1000)).toBeLessThan(60);
    expect(String(pv.event_time)).toMatch(/^\d{10}(\.\d{1,3})?$/); // seconds, to the millisecond
    expect(pv.consent).toBeUndefined();
    const cookie = (await context.cookies()).find((c) => c.name === "_tally_id");
    expect(pv.user_data.anonymous_id).toBe(cookie?.value);
    expect(cookie?.sameSite).toBe("Lax");
    expect(JSON.parse((await storage()).tally).i).toBe(cookie?.value);
    expect(pageErrors).toEqual([]);
  });

  it("with data-consent=required sends and stores nothing before consent, then sends the queue", async () => {
    const collectCalls: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/t/collect")) collectCalls.push(r.url());
    });
    const url = site.page(
      "/consent",
      tagPage(tag, {
        attrs: 'data-consent="required"',
        head: `<script>var stub = window.tally; tally('identify', {external_id: 'crm-77'}); tally('track', 'Lead', {form: 'newsletter'});</script>`,
      }),
    );
    await page.goto(url + "?gclid=G-consent");
    await page.waitForFunction(() => window.tally?.loaded);
    // A reference to the stub, kept from before the tag loaded, still reaches the tag.
    await page.evaluate(() =>
      (window as unknown as { stub: (...a: unknown[]) => void }).stub("track", "AddToCart", { value: 5 }),
    );
    await sleep(600);
    expect(collectCalls).toEqual([]);
    expect(collector.requests).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.evaluate(() => window.tally!("consent", { ad_user_data: "granted", analytics: "granted" }));
    await waitFor(() => collector.events().length >= 3, "the queued events");
    const events = collector.events();
    expect(events.map((e) => e.event_name)).toEqual(["PageView", "Lead", "AddToCart"]);
    expect(collector.requests).toHaveLength(1); // sent together
    for (const e of events) {
      expect(e.consent).toEqual({
        ad_user_data: "granted",
        ad_personalization: "denied",
        analytics: "granted",
      });
      expect(e.user_data).toMatchObject({ external_id: "crm-77", gclid: "G-consent" });
    }
    expect(await cookieNames()).toEqual(["_tally_id"]);
    const id = events[0]!.user_data.anonymous_id;

    // Granted consent is remembered on later pages, with the same anonymous id.
    await page.goto(url);
    const next = await waitFor(() => collector.events()[3], "the next page's PageView");
    expect(next).toMatchObject({
      event_name: "PageView",
      user_data: { anonymous_id: id, gclid: "G-consent" },
    });
    expect(next.consent.analytics).toBe("granted");
  });

  it("keeps click ids and utm_* from the landing page for a later page's Purchase", async () => {
    site.page("/landing", tagPage(tag));
    const thanks = site.page(
      "/thanks",
      tagPage(tag, {
        head: `<script>tally('track', 'Purchase', {value: 99.99, currency: 'USD', order_id: '1001'}, {event_id: 'order-1001'});</script>`,
      }),
    );
    const before = Date.now();
    await page.goto(
      `${site.url}/landing?gclid=G-1&fbclid=IwAR-F1&tally_click=tc_1&msclkid=M-1&utm_source=google&utm_medium=cpc&utm_campaign=spring&ref=x`,
    );
    const landingView = await collector.waitForEvent(named("PageView"), "landing PageView");
    expect(landingView.user_data).toMatchObject({
      gclid: "G-1",
      fbclid: "IwAR-F1",
      click_id: "tc_1",
      msclkid: "M-1",
    });
    const [, ms, fbclid] = /^fb\.1\.(\d{13})\.(.+)$/.exec(landingView.user_data.fbc)!;
    expect(fbclid).toBe("IwAR-F1");
    expect(Number(ms)).toBeGreaterThanOrEqual(before);
    expect(landingView.custom_data).toEqual({
      utm_source: "google",
      utm_medium: "cpc",
      utm_campaign: "spring",
    });

    await page.goto(thanks);
    const purchase = await collector.waitForEvent(named("Purchase"), "Purchase");
    expect(purchase).toMatchObject({
      event_id: "order-1001",
      event_source_url: thanks,
      user_data: {
        anonymous_id: landingView.user_data.anonymous_id,
        gclid: "G-1",
        fbclid: "IwAR-F1",
        fbc: landingView.user_data.fbc,
        click_id: "tc_1",
        msclkid: "M-1",
      },
      custom_data: {
        value: 99.99,
        currency: "USD",
        order_id: "1001",
        utm_source: "google",
        utm_campaign: "spring",
      },
    });
    // A later page view does not repeat the utm_* (that would be a new touchpoint per page).
    const laterView = collector.events().filter(named("PageView"))[1]!;
    expect(laterView.custom_data).toEqual({});
    expect(laterView.user_data.gclid).toBe("G-1");
  });

  it("parks events while offline and delivers them when back online, losing none", async () => {
    await page.goto(site.page("/offline", tagPage(tag)));
    await collector.waitForEvent(named("PageView"), "PageView");
    await context.setOffline(true);
    await page.evaluate(() => {
      window.tally!("identify", { email: "jane@example.com", external_id: "crm-9" });
      for (let i = 0; i < 5; i++) window.tally!("track", "AddToCart", { i });
      window.tally!("track", "Purchase", { value: 10, currency: "EUR" }, { event_id: "order-off" });
    });
    const parked = await waitFor(
      async () =>
        JSON.parse((await storage()).tally_outbox ?? "[]").length === 6 && (await storage()).tally_outbox,
      "the outbox",
    );
    expect(collector.events().filter((e) => e.event_name !== "PageView")).toEqual([]);
    expect(parked).not.toContain("jane@example.com"); // plain email never stored
    expect(parked).toContain("crm-9");

    await context.setOffline(false);
    await waitFor(() => collector.events().length === 7, "the parked events");
    await sleep(500); // and nothing twice
    expect(collector.events()).toHaveLength(7);
    const sent = collector.events().slice(1);
    expect(sent.map((e) => e.custom_data.i)).toEqual([0, 1, 2, 3, 4, undefined]);
    expect(sent[5]).toMatchObject({ event_name: "Purchase", event_id: "order-off" });
    // What waited on the device left without the plain email, with the rest of the identity.
    expect(sent[5]!.user_data.email).toBeUndefined();
    expect(sent[5]!.user_data.external_id).toBe("crm-9");
    expect(new Set(sent.map((e) => e.event_id)).size).toBe(6);
    expect((await storage()).tally_outbox).toBeUndefined();
  });

  it("retries the outbox on the next page load", async () => {
    const url = site.page("/next-load", tagPage(tag));
    await page.goto(url);
    await collector.waitForEvent(named("PageView"), "PageView");
    await context.setOffline(true);
    await page.evaluate(() => window.tally!("track", "Lead", {}, { event_id: "lead-offline" }));
    await waitFor(async () => (await storage()).tally_outbox, "the outbox");
    await page.close();
    await context.setOffline(false);
    page = await context.newPage();
    await page.goto(url);
    const lead = await collector.waitForEvent(named("Lead"), "the parked Lead");
    expect(lead.event_id).toBe("lead-offline");
  });

  it("retries a batch the collector refused with a 5xx", async () => {
    // Only this page's batch is refused: a request still in flight from an earlier test's page
    // (its last batch, a beacon at unload) must not use the failure up.
    collector.fail(1, 503, (body) => body.events.some((e) => String(e.event_source_url).includes("/flaky")));
    await page.goto(site.page("/flaky", tagPage(tag)));
    await waitFor(async () => (await storage()).tally_outbox, "the outbox");
    const pv = await collector.waitForEvent(named("PageView"), "the retried PageView", 15_000);
    expect(pv.event_source_url).toContain("/flaky");
  });

  it("sends a PageView on single-page-app navigation, not on hash changes", async () => {
    const url = site.page("/app", tagPage(tag));
    site.page("/app/step2", tagPage(tag));
    await page.goto(url);
    await collector.waitForEvent(named("PageView"), "first PageView");
    await page.evaluate(() => history.pushState({}, "", "/app/step2?plan=pro"));
    const second = await waitFor(() => collector.events().filter(named("PageView"))[1], "second PageView");
    expect(second.event_source_url).toBe(`${site.url}/app/step2?plan=pro`);
    await page.evaluate(() => {
      history.replaceState({}, "", "/app/step2?plan=pro");
      history.pushState({}, "", "/app/step2?plan=pro#pricing");
    });
    await page.goBack();
    await page.goBack();
    const third = await waitFor(() => collector.events().filter(named("PageView"))[2], "third PageView");
    expect(third.event_source_url).toBe(url);
    await sleep(300);
    expect(collector.events().filter(named("PageView"))).toHaveLength(3);
  });

  it("with data-pageview=off sends only what the page tracks", async () => {
    await page.goto(site.page("/manual", tagPage(tag, { attrs: 'data-pageview="off"' })));
    await page.waitForFunction(() => window.tally?.loaded);
    await page.evaluate(() => {
      history.pushState({}, "", "/manual/next");
      window.tally!("track", "ViewContent", { content_id: "p1" });
    });
    await collector.waitForEvent(named("ViewContent"), "ViewContent");
    await sleep(300);
    expect(collector.events().map((e) => e.event_name)).toEqual(["ViewContent"]);
  });

  it("tracks no-code triggers: a button click and a form submit with data-tally-* parameters", async () => {
    site.page("/sent", "<!doctype html><p>thanks</p>");
    await page.goto(
      site.page(
        "/triggers",
        tagPage(tag, {
          body: `
          <button id="add" data-tally-track="AddToCart" data-tally-value="12.5" data-tally-currency="EUR" data-tally-item-id="sku-1"><span>Add</span></button>
          <form id="f" action="/sent" method="get" data-tally-track="Lead" data-tally-form="contact" data-tally-event-id="lead-42">
            <input name="email" value="jane@example.com"><button id="send">Send</button>
          </form>`,
        }),
      ),
    );
    await page.waitForFunction(() => window.tally?.loaded);
    await page.click("#add span");
    const add = await collector.waitForEvent(named("AddToCart"), "AddToCart");
    expect(add.custom_data).toEqual({ value: 12.5, currency: "EUR", item_id: "sku-1" });
    expect(collector.events().filter(named("Lead"))).toEqual([]); // the click inside the form is not the form

    await page.click("#send"); // submits and leaves the page at once
    await page.waitForURL(/\/sent/);
    const lead = await collector.waitForEvent(named("Lead"), "Lead");
    expect(lead).toMatchObject({ event_id: "lead-42", custom_data: { form: "contact" } });
    expect(JSON.stringify(lead)).not.toContain("jane@example.com"); // form fields are never read
  });

  it("keeps working when the host page throws, and never throws itself", async () => {
    await page.goto(
      site.page(
        "/broken",
        tagPage(tag, {
          before: `<script>throw new Error('host boom 1')</script>`,
          head: `<script>undefinedFunction()</script><script>tally('track', 'Lead', {step: 1})</script>`,
          body: `<button id="b" data-tally-track="Contact" onclick="throw new Error('host boom 2')">Call</button>`,
        }),
      ),
    );
    await page.waitForFunction(() => window.tally?.loaded);
    await page.click("#b");
    await page.evaluate(() => {
      const t = window.tally as unknown as (...a: unknown[]) => void;
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      t();
      t("track");
      t("track", 42);
      t("track", "Lead", loop); // cannot be serialised: dropped, the batch survives
      t("consent", null);
      t("identify", "nope");
      t("nonsense", 1, 2, 3);
      t("track", "Search", { q: "shoes" });
    });
    await waitFor(
      () => ["PageView", "Lead", "Contact", "Search"].every((n) => collector.events().some(named(n))),
      "every event",
    );
    expect(collector.events().filter(named("Lead"))).toHaveLength(1);
    expect(pageErrors.map((e) => e.message)).toEqual([
      "host boom 1",
      expect.stringContaining("undefinedFunction"),
      "host boom 2",
    ]);
  });

  it("does not throw when the collector is down, and parks the events", async () => {
    const down = await startCollector("");
    const deadUrl = down.url;
    await down.close();
    await page.goto(site.page("/down", tagPage(tag, { attrs: `data-api="${deadUrl}"` })));
    await page.waitForFunction(() => window.tally?.loaded);
    await page.evaluate(() => window.tally!("track", "Lead"));
    const outbox = await waitFor(async () => {
      const o = (await storage()).tally_outbox;
      return o && JSON.parse(o).length === 2 && o;
    }, "the outbox");
    expect(JSON.parse(outbox).map((e: SentEvent) => e.event_name)).toEqual(["PageView", "Lead"]);
    expect(pageErrors).toEqual([]);
    expect(collector.requests).toEqual([]);
  });

  it("stops sending and clears stored identifiers when consent is withdrawn", async () => {
    const url = site.page("/withdraw", tagPage(tag));
    await page.goto(url + "?gclid=G-w&utm_source=s");
    const pv = await collector.waitForEvent(named("PageView"), "PageView");
    const id = pv.user_data.anonymous_id as string;
    expect(await cookieNames()).toContain("_tally_id");
    expect(JSON.stringify(await storage())).toContain(id);

    await page.evaluate(() => window.tally!("consent", { analytics: "denied", ad_user_data: "denied" }));
    expect(await cookieNames()).not.toContain("_tally_id");
    const left = JSON.stringify(await storage());
    expect(left).not.toContain(id);
    expect(left).not.toContain("G-w");
    await page.evaluate(() => window.tally!("track", "Lead"));
    await page.goto(url); // the opt-out holds on later pages
    await sleep(600);
    expect(collector.events()).toHaveLength(1);
    expect(await cookieNames()).toEqual([]);
  });

  it("with data-consent=required leaves nothing on the device after a withdrawal", async () => {
    const url = site.page("/withdraw-required", tagPage(tag, { attrs: 'data-consent="required"' }));
    await page.goto(url + "?fbclid=F-w");
    await page.waitForFunction(() => window.tally?.loaded);
    await page.evaluate(() => window.tally!("consent", { analytics: "granted" }));
    await collector.waitForEvent(named("PageView"), "PageView");
    expect(await page.evaluate(() => localStorage.length)).toBe(1);
    await page.evaluate(() => window.tally!("consent", { analytics: "denied" }));
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await context.cookies()).toEqual([]);
    await page.goto(url);
    await sleep(600);
    expect(collector.events()).toHaveLength(1);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });
});
