/**
 * What `tally simulate` sends, as plain values: for one simulated user, the ad touches, the
 * landing page views, the logins that link a second device, the conversions and their browser
 * copies, and now and then a broken event. Pure and seeded (no I/O, no clock): the same seed
 * and start time give the same requests.
 *
 * The API's limits shape the plan: touches may be up to 90 days old, events only 7. A
 * backfill therefore imports old clicks with the visitor's anonymous_id (the advertiser's own
 * join of ad clicks and site visits), sends landing PageViews only for the last 7 days, and
 * drops conversions older than 7 days (counted, never sent).
 */
import type { Rng } from "./prng.js";

export type Endpoint = "clicks" | "impressions" | "events" | "collect";

/**
 * Phases order what one batch of users sends: touches before the logins that link devices,
 * those before conversions (a conversion is attributed from what is known when it arrives),
 * and the browser's copy of an order before the server's, so the server's answer shows the
 * duplicate.
 */
export const PHASES = ["touches", "identity", "browser", "server"] as const;
export type Phase = 0 | 1 | 2 | 3;

export type SendKind = "click" | "impression" | "landing" | "login" | "conversion" | "copy" | "bad";

export interface Send {
  endpoint: Endpoint;
  phase: Phase;
  kind: SendKind;
  /** When it happens (ms); a backfill sends at once, a live run when this time comes. */
  at: number;
  body: Record<string, unknown>;
}

export interface Platform {
  name: string;
  clickId: "gclid" | "fbclid" | "ttclid" | "li_fat_id" | "msclkid";
  clickIdPrefix: string;
  weight: number;
  campaigns: readonly string[];
}

export const PLATFORMS: readonly Platform[] = [
  {
    name: "google",
    clickId: "gclid",
    clickIdPrefix: "Cj0KCQiA",
    weight: 38,
    campaigns: ["Search - Brand", "Search - Generic", "Performance Max", "YouTube - Awareness"],
  },
  {
    name: "meta",
    clickId: "fbclid",
    clickIdPrefix: "IwAR",
    weight: 30,
    campaigns: ["Prospecting - Lookalike", "Retargeting - Cart", "Advantage+ Shopping"],
  },
  {
    name: "tiktok",
    clickId: "ttclid",
    clickIdPrefix: "E.C.P.",
    weight: 12,
    campaigns: ["Spark Ads - UGC", "TopView Launch"],
  },
  {
    name: "microsoft",
    clickId: "msclkid",
    clickIdPrefix: "",
    weight: 10,
    campaigns: ["Bing Search - Brand", "Bing Search - Generic"],
  },
  {
    name: "linkedin",
    clickId: "li_fat_id",
    clickIdPrefix: "",
    weight: 10,
    campaigns: ["B2B Lead Gen", "Thought Leadership"],
  },
];
const PLATFORM_WEIGHTS = PLATFORMS.map((p) => [p, p.weight] as const);
const ADS = ["video-15s", "carousel", "static-a", "static-b"] as const;

export interface Timing {
  /** Users' first touches spread over this span before `now` (0 in a live run). */
  spanMs: number;
  /** Mean gap between one user's touches. */
  touchGapMs: number;
  /** Median delay from a touch to a conversion, and its log-normal spread. */
  conversionDelayMs: number;
  conversionSigma: number;
}

/** A backfill: journeys over `days`, conversions minutes to days after a touch. */
export const backfillTiming = (days: number): Timing => ({
  spanMs: days * 86_400_000,
  touchGapMs: 1.5 * 86_400_000,
  conversionDelayMs: 3 * 3_600_000,
  conversionSigma: 1.6,
});
/** A live run: the same journeys, squeezed into seconds and minutes so a dashboard moves. */
export const LIVE_TIMING: Timing = {
  spanMs: 0,
  touchGapMs: 20_000,
  conversionDelayMs: 15_000,
  conversionSigma: 1,
};

export interface PlanContext {
  /** The start of the run: nothing is planned after it in a backfill. */
  now: number;
  timing: Timing;
  /** Oldest event time the server takes (now − 7 days by default), with a safety margin. */
  oldestEvent: number;
  /** A backfill drops what happens after `now`; a live run plans it for later. */
  future: "drop" | "plan";
  /** Distinguishes runs with different seeds in ids and emails. */
  runTag: string;
}

export interface UserPlan {
  sends: Send[];
  /** Conversions not sent: older than the event age limit, or after `now` in a backfill. */
  tooOld: number;
  notYet: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

interface Touch {
  at: number;
  platform: Platform;
  campaign: string;
  ad: string;
}

/** Everything one user sends. `index` numbers users within a run (ids and emails use it). */
export function planUser(rng: Rng, index: number, ctx: PlanContext): UserPlan {
  const plan: UserPlan = { sends: [], tooOld: 0, notYet: 0 };
  const { now, timing } = ctx;
  const anon = rng.id(22);
  const start = now - rng.next() * timing.spanMs;
  const organic = rng.chance(0.12);

  // Ad touches: a favourite platform, sometimes another one.
  const touches: Touch[] = [];
  if (!organic) {
    const favourite = rng.weighted(PLATFORM_WEIGHTS);
    const count = Math.min(8, 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(0.45)));
    let at = start;
    for (let i = 0; i < count; i++) {
      if (i > 0) at += rng.exponential(timing.touchGapMs);
      if (at > now && ctx.future === "drop") break;
      const platform = rng.chance(0.6) ? favourite : rng.weighted(PLATFORM_WEIGHTS);
      touches.push({ at, platform, campaign: rng.pick(platform.campaigns), ad: rng.pick(ADS) });
    }
  }
  for (const t of touches) plan.sends.push(...touchSends(rng, t, anon, ctx));

  // Conversions: after a touch (mostly the latest), log-normally delayed.
  const names: string[] = [];
  if (rng.chance(0.22)) names.push("CompleteRegistration");
  if (rng.chance(0.08)) names.push("Lead");
  if (rng.chance(0.2)) {
    names.push("Purchase");
    if (rng.chance(0.25)) names.push("Purchase");
  }
  if (names.length === 0) return plan;

  const account = {
    external_id: `crm-${ctx.runTag}-${index}`,
    email: `shopper${index}.${ctx.runTag}@example.com`,
  };
  const anon2 = rng.chance(0.3) ? rng.id(22) : null; // converts on a second device
  let loggedIn = false;
  for (const name of names) {
    const anchor =
      touches.length === 0 ? start : rng.chance(0.7) ? touches[touches.length - 1]!.at : rng.pick(touches).at;
    const at = anchor + rng.logNormal(timing.conversionDelayMs, timing.conversionSigma);
    // Draw everything before deciding to skip, so a skipped conversion does not shift the
    // random stream of the ones after it.
    const eventId = `${slug(name)}-${rng.id(12)}`;
    const value = Math.round(rng.logNormal(48, 0.7) * 100) / 100;
    const currency = rng.chance(0.92) ? "USD" : "EUR";
    const copy = rng.chance(name === "Purchase" ? 0.5 : 0.2);
    const bad = rng.chance(0.03) ? rng.pick(["unknown_name", "missing_value"] as const) : null;
    const loginGap = rng.logNormal(2 * 86_400_000, 1) * (timing.conversionDelayMs / (3 * 3_600_000));
    if (at < ctx.oldestEvent) {
      plan.tooOld++;
      continue;
    }
    if (at > now && ctx.future === "drop") {
      plan.notYet++;
      continue;
    }
    const user: Record<string, string> = { anonymous_id: anon2 ?? anon, ...account };
    if (anon2 && !loggedIn) {
      // The same account on both devices links them: device 1's touches count for device 2.
      loggedIn = true;
      plan.sends.push(login(anon, account.external_id, Math.max(ctx.oldestEvent, at - loginGap)));
      plan.sends.push(login(anon2, account.external_id, Math.max(ctx.oldestEvent, at - 60_000)));
    }
    const custom: Record<string, unknown> =
      name === "Purchase" ? { value, currency, order_id: eventId.replace(/^purchase-/, "") } : {};
    const event = {
      event_name: name,
      event_time: iso(at),
      event_id: eventId,
      action_source: "website",
      event_source_url: "https://shop.example/thanks",
      user_data: user,
      custom_data: custom,
    };
    plan.sends.push({ endpoint: "events", phase: 3, kind: "conversion", at, body: event });
    if (copy) {
      // The browser tag reports the same order with the same event_id: one of the two is a duplicate.
      plan.sends.push({
        endpoint: "collect",
        phase: 2,
        kind: "copy",
        at,
        body: { ...event, user_data: { anonymous_id: anon2 ?? anon } },
      });
    }
    if (bad === "unknown_name") {
      plan.sends.push({
        endpoint: "events",
        phase: 3,
        kind: "bad",
        at,
        body: { ...event, event_name: "Purchased", event_id: `${eventId}-typo` },
      });
    } else if (bad === "missing_value") {
      plan.sends.push({
        endpoint: "events",
        phase: 3,
        kind: "bad",
        at,
        body: { ...event, event_name: "Purchase", event_id: `${eventId}-novalue`, custom_data: { currency } },
      });
    }
  }
  return plan;
}

function login(anonymousId: string, externalId: string, at: number): Send {
  return {
    endpoint: "collect",
    phase: 1,
    kind: "login",
    at,
    body: {
      event_name: "PageView",
      event_time: iso(at),
      action_source: "website",
      event_source_url: "https://shop.example/account",
      user_data: { anonymous_id: anonymousId, external_id: externalId },
    },
  };
}

/** A click lands on the site (a PageView with its click id) or is imported; impressions are imported. */
function touchSends(rng: Rng, t: Touch, anon: string, ctx: PlanContext): Send[] {
  const base = { time: iso(t.at), platform: t.platform.name, campaign: t.campaign, ad: t.ad };
  if (rng.chance(0.3)) {
    return [
      {
        endpoint: "impressions",
        phase: 0,
        kind: "impression",
        at: t.at,
        body: { ...base, touch_id: `imp-${rng.id(16)}`, anonymous_id: anon },
      },
    ];
  }
  const clickId = t.platform.clickIdPrefix + rng.id(t.platform.name === "microsoft" ? 32 : 24);
  const imported = rng.chance(0.35);
  const touchId = `${t.platform.name}-${clickId}`;
  if (t.at < ctx.oldestEvent) {
    // Too old for a PageView: the import carries the visitor, joined on the advertiser's side.
    return [
      {
        endpoint: "clicks",
        phase: 0,
        kind: "click",
        at: t.at,
        body: { ...base, touch_id: touchId, [t.platform.clickId]: clickId, anonymous_id: anon },
      },
    ];
  }
  const utm = { utm_source: t.platform.name, utm_medium: "cpc", utm_campaign: t.campaign, utm_content: t.ad };
  const sends: Send[] = [
    {
      endpoint: "collect",
      phase: 0,
      kind: "landing",
      at: t.at,
      body: {
        event_name: "PageView",
        event_time: iso(t.at),
        event_id: `pv-${rng.id(16)}`,
        action_source: "website",
        event_source_url: `https://shop.example/?${new URLSearchParams({ [t.platform.clickId]: clickId, ...utm }).toString()}`,
        user_data: { anonymous_id: anon, [t.platform.clickId]: clickId },
        custom_data: utm,
      },
    },
  ];
  // The platform's own click report names the same click: the server records it once.
  if (imported)
    sends.push({
      endpoint: "clicks",
      phase: 0,
      kind: "click",
      at: t.at,
      body: { ...base, touch_id: touchId, [t.platform.clickId]: clickId },
    });
  return sends;
}
