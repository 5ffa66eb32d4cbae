/**
 * Tally browser tag, served at `GET /t/tally.js` (see docs/tracker.md).
 *
 * @example
 * <script async src="https://track.example/t/tally.js" data-key="pk_…" data-consent="required"></script>
 * <script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>
 * <script>
 *   tally('consent', { ad_user_data: 'granted', analytics: 'granted' });
 *   tally('track', 'Purchase', { value: 99.99, currency: 'USD', order_id: '1001' }, { event_id: 'order-1001' });
 * </script>
 *
 * Flow: a call (queued by the snippet, or live) → track() builds the event → `pending` in memory
 * → flush(), once consent allows, adds user_data and consent → transport (fetch or beacon, with
 * the outbox). Identity is attached at flush, so events held for consent leave with the identity
 * that exists once consent is given, and nothing is stored before then.
 */

import { capture, clickIds, landing, utm } from "./capture.js";
import type { Attribution } from "./capture.js";
import {
  ID_COOKIE,
  LIFE_S,
  RECORD,
  getCookie,
  readJSON,
  removeItem,
  setCookie,
  writeJSON,
} from "./device.js";
import type { VisitorRecord } from "./device.js";
import { safe } from "./safe.js";
import { createTransport } from "./transport.js";
import { watchTriggers } from "./triggers.js";
import type { Consent, Rec, TallyEvent, TallyGlobal } from "./types.js";

const CONSENT_KEYS = ["ad_user_data", "ad_personalization", "analytics"] as const;
/** Events held in memory while waiting for consent. */
const PENDING_MAX = 100;
/** Calls this close together leave in one request. */
const BATCH_MS = 50;

const randomId = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join("");

const asRec = (x: unknown): Rec => (x && typeof x === "object" ? (x as Rec) : {});

function start(): void {
  const stub = window.tally;
  if (stub && stub.loaded) return;
  const script = (document.currentScript ||
    document.querySelector("script[data-key]")) as HTMLScriptElement | null;
  if (!script) return;
  const option = (name: string): string => script.getAttribute("data-" + name) || "";
  const key = option("key");
  if (!key) return;
  const required = option("consent") === "required";
  const cookieDomain = option("cookie-domain");
  const api = option("api") || new URL(script.src, location.href).origin;

  const now = Date.now();
  let record = readJSON<VisitorRecord>(RECORD) || {};
  if (!(Number(record.x) > now)) record = {};
  const consent: Consent = record.c || {};
  let anonymousId = getCookie(ID_COOKIE) || record.i;
  let kept: Attribution = record.a || {};
  let identity: Rec = {};
  const pending: TallyEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  let lastPage = "";
  // tally('experiment', name, variant): the page's later events carry both fields.
  let experiment: Rec = {};

  const allowed = (): boolean => (consent.analytics ? consent.analytics === "granted" : !required);
  const transport = createTransport(
    api.replace(/\/$/, "") + "/t/collect?k=" + encodeURIComponent(key),
    key,
    allowed,
  );

  // Writes the visitor record and id cookie (refreshing their lifetime) when consent allows;
  // otherwise erases every stored identifier, keeping only an opt-out where none was required.
  const save = (): void => {
    const x = Date.now() + LIFE_S * 1000;
    if (allowed()) {
      anonymousId = anonymousId || randomId();
      setCookie(ID_COOKIE, anonymousId, LIFE_S, cookieDomain);
      writeJSON(RECORD, { i: anonymousId, c: consent, a: kept, x });
      return;
    }
    anonymousId = undefined;
    setCookie(ID_COOKIE, "", 0, cookieDomain);
    removeItem(RECORD);
    transport.clear();
    if (!required) writeJSON(RECORD, { c: consent, x });
  };

  const flush = (unloading?: boolean): void => {
    clearTimeout(timer);
    timer = 0;
    if (!allowed() || !pending.length) return;
    save();
    const user: Rec = Object.assign({}, identity, { anonymous_id: anonymousId }, clickIds(kept));
    // Meta pixel cookies, when the site also runs it.
    user.fbp = getCookie("_fbp");
    user.fbc = user.fbc || getCookie("_fbc");
    // Set by browser automation (WebDriver, Puppeteer, Playwright): the server flags the event `bot`.
    if (navigator.webdriver) user.webdriver = true;
    const given = CONSENT_KEYS.some((k) => consent[k]);
    const sentConsent: Consent = {};
    for (const k of CONSENT_KEYS) sentConsent[k] = consent[k] || "denied";
    transport.send(
      pending
        .splice(0)
        .map((e) => Object.assign(e, { user_data: user, consent: given ? sentConsent : undefined })),
      unloading,
    );
  };
  const flushSoon = safe(() => flush());
  const flushNow = safe(() => flush(true));
  const schedule = (): void => {
    if (!timer) timer = setTimeout(flushSoon, BATCH_MS);
  };

  const track = (name: string, params: Rec, options: Rec): void => {
    const t = Date.now();
    const eventId = options.event_id;
    let custom: Rec;
    if (name === "PageView") {
      // A page view reports the utm_* of its own URL only: re-sending kept ones on every page
      // would record a new touchpoint per page.
      const found = landing(location.search, t);
      kept = capture(kept, found, t);
      custom = utm(found);
      lastPage = location.pathname + location.search;
    } else custom = utm(kept);
    pending.push({
      event_name: name,
      // Unix seconds to the millisecond: a purchase a moment after the ad click still sorts after it.
      event_time: options.event_time || t / 1000,
      event_id:
        typeof eventId === "number"
          ? String(eventId)
          : typeof eventId === "string" && eventId
            ? eventId
            : randomId(),
      action_source: "website",
      event_source_url: location.href,
      // A snapshot: the page may change its object before the batch leaves; a bad one fails here.
      custom_data: Object.assign(custom, experiment, JSON.parse(JSON.stringify(params)) as Rec),
    });
    if (pending.length > PENDING_MAX) pending.shift();
    schedule();
  };

  const setConsent = (update: Rec): void => {
    const was = allowed();
    for (const k of CONSENT_KEYS) {
      const v = update[k];
      if (v === "granted" || v === "denied") consent[k] = v;
    }
    // Withdrawn: forget what earlier pages left; this page's own URL may still count if granted again.
    if (was && !allowed()) kept = landing(location.search, Date.now());
    save();
    schedule();
    transport.retry();
  };

  const tally: TallyGlobal = safe((command: unknown, a?: unknown, b?: unknown, c?: unknown) => {
    if (command === "track" && typeof a === "string" && a) track(a, asRec(b), asRec(c));
    else if (command === "identify") identity = Object.assign({}, asRec(a));
    else if (command === "consent") setConsent(asRec(a));
    else if (command === "experiment" && typeof a === "string" && a && typeof b === "string" && b) {
      experiment = { experiment: a, variant: b };
      track("Exposure", {}, {});
    }
  });
  tally.loaded = true;
  // Code that kept a reference to the stub still reaches the tag: the stub pushes onto `tally.q`.
  tally.q = { push: (args: ArrayLike<unknown>) => tally(...Array.from(args)) };
  window.tally = tally;

  const autoPageView = option("pageview") !== "off";
  if (autoPageView) track("PageView", {}, {});
  for (const args of Array.from(((stub && stub.q) || []) as ArrayLike<unknown>[])) tally(...Array.from(args));
  if (allowed()) {
    save();
    transport.retry();
  }

  addEventListener("pagehide", flushNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flushNow();
  });
  addEventListener("online", safe(transport.retry));
  watchTriggers(safe(({ name, params, options }) => name && track(name, params, options)));

  if (autoPageView) {
    // Single-page apps: a new path or query is a new page; a hash change is not.
    const navigated = safe(() => {
      if (location.pathname + location.search !== lastPage) track("PageView", {}, {});
    });
    for (const method of ["pushState", "replaceState"] as const) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the page's own `this` below
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History["pushState"]>) {
        original.apply(this, args);
        navigated();
      };
    }
    addEventListener("popstate", navigated);
  }
}

safe(start)();
