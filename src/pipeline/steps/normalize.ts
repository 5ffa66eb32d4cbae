/**
 * normalize: from a valid event to what is stored and forwarded. Email and phone are hashed
 * here and their plain text goes no further (every form a destination needs is derived now:
 * a hash cannot be turned into another later). The client IP is sealed with the key kept
 * outside the store, and truncated. Identifiers for the identity graph and the click touch
 * of a landing PageView are derived here too.
 */
import { hashEmailForms, normalizePhone, phoneDigits, preHashed, sha256Hex } from "@tally/protocol";
import { LRUCache } from "lru-cache";
import { platformForClickIdKind } from "../../attribution/index.js";
import {
  CLICK_ID_KINDS,
  type HashedUserData,
  type Identifier,
  type NormalizedEvent,
  type TouchInput,
} from "../../domain/event.js";
import { newId } from "../../domain/ids.js";
import { truncateIp, isIpAddress } from "../../domain/ip.js";
import type { Cipher } from "../../security/cipher.js";
import { looksLikeEmail, replaceEmails } from "./email-like.js";
import type { ValidEvent } from "./validate.js";
import { matchQuality } from "../match-quality.js";

export interface NormalizeContext {
  workspaceId: string;
  defaultCountry: string | null;
  receivedAt: number;
  testEventCode: string | null;
  cipher: Cipher;
  /** Keep a sealed copy of the IP for forwarding (retention > 0). */
  keepIp: boolean;
  /** Browser collection: IP and user agent come from the request, not the body. */
  requestIp: string | null;
  requestUserAgent: string | null;
}

const UTM_SLOT_MS = 30 * 60_000;

/**
 * Recent phone normalizations, keyed by the default country and the raw string as sent:
 * libphonenumber is the costliest step of the hot path (16–33% of the event loop), and a
 * site's customers send the same number again (every order, every page of a session). Bounded
 * (10,000 numbers, well under 2 MB); in memory only, like the request itself: nothing of it is
 * stored or logged. `false`: not a phone number.
 */
const phones = new LRUCache<string, string | false>({ max: 10_000 });

function cachedPhone(raw: string, defaultCountry: string | null): string | null {
  const key = `${defaultCountry ?? ""}|${raw}`;
  let e164 = phones.get(key);
  if (e164 === undefined) {
    e164 = normalizePhone(raw, defaultCountry ?? undefined) ?? false;
    phones.set(key, e164);
  }
  return e164 === false ? null : e164;
}
const PII_KEY = /^(e-?mail|em|phone|ph|tel|telephone|mobile|ip|ip_address|client_ip_address)$/i;

/**
 * custom_data is stored as sent, except keys named like personal data and strings that
 * contain an email — at every depth, inside lists too (`contents: [{…}]` is common). The
 * body parser already bounds the depth, so the recursion is bounded.
 */
function scrubCustomData(cd: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cd)) {
    if (PII_KEY.test(k) || looksLikeEmail(v)) continue;
    out[k] = scrubNested(v);
  }
  return out;
}

function scrubNested(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !looksLikeEmail(x)).map(scrubNested);
  if (v !== null && typeof v === "object") return scrubCustomData(v as Record<string, unknown>);
  return v;
}

/**
 * The page URL keeps its shape, but a part of it that is an email (`/thanks?email=jane%40shop.example`,
 * a classic of sign-up pages) is replaced: the contract never stores a plain email.
 */
function scrubUrl(url: string): string {
  return replaceEmails(url, () => "[redacted]");
}

export function normalizeEvent(v: ValidEvent, ctx: NormalizeContext): NormalizedEvent {
  const warnings: string[] = [];
  const user: HashedUserData = {};
  const identifiers: Identifier[] = [];
  const u = v.user;

  const email = u.email ?? u.em;
  if (email !== undefined) {
    // Both forms from one normalization; outside gmail they are one hash.
    const forms = hashEmailForms(email);
    if (forms) {
      user.em = forms.em;
      user.em_google = forms.google;
      identifiers.push({ kind: "email", value: forms.em });
    } else warnings.push("user_data.email is not an email address and was dropped");
  }
  const phone = u.phone ?? u.ph;
  if (phone !== undefined) {
    // One parse for both forms: libphonenumber is the costliest step of the hot path.
    const hashed = preHashed(phone);
    const e164 = hashed === null ? cachedPhone(phone, ctx.defaultCountry) : null;
    if (hashed !== null || e164) {
      const ph = hashed ?? sha256Hex(e164!);
      user.ph = ph;
      user.ph_digits = hashed ?? sha256Hex(phoneDigits(e164!));
      identifiers.push({ kind: "phone", value: ph });
    } else warnings.push("user_data.phone is not a phone number and was dropped");
  }
  if (u.external_id !== undefined) {
    user.external_id = u.external_id;
    identifiers.push({ kind: "external_id", value: u.external_id });
  }
  if (u.anonymous_id !== undefined) {
    user.anonymous_id = u.anonymous_id;
    identifiers.push({ kind: "anonymous_id", value: u.anonymous_id });
  }

  const ip = ctx.requestIp ?? u.client_ip_address ?? null;
  if (ip !== null) {
    if (isIpAddress(ip)) {
      const t = truncateIp(ip);
      if (t) user.client_ip_truncated = t;
      if (ctx.keepIp) user.client_ip_enc = ctx.cipher.encrypt(ip);
    } else warnings.push("user_data.client_ip_address is not an IP address and was dropped");
  }
  const ua = ctx.requestUserAgent ?? u.client_user_agent;
  if (ua) user.client_user_agent = ua.slice(0, 512);
  if (u.fbp) user.fbp = u.fbp;
  if (u.fbc) user.fbc = u.fbc;

  let clickKind: (typeof CLICK_ID_KINDS)[number] | null = null;
  for (const kind of CLICK_ID_KINDS) {
    const id = u[kind];
    if (id === undefined) continue;
    user[kind] = id;
    identifiers.push({ kind, value: id });
    clickKind ??= kind;
  }
  // Meta's click cookie format, when the page did not set _fbc itself.
  if (user.fbclid && !user.fbc) user.fbc = `fb.1.${v.eventTime}.${user.fbclid}`;

  const touch = v.eventName === "PageView" ? pageViewTouch(v, clickKind, identifiers) : null;

  return {
    id: newId("evt", ctx.receivedAt),
    workspaceId: ctx.workspaceId,
    eventName: v.eventName,
    isConversion: v.action !== null,
    eventTime: v.eventTime,
    receivedAt: ctx.receivedAt,
    eventId: v.eventId,
    orderId: v.orderId,
    actionSource: v.actionSource,
    eventSourceUrl: v.eventSourceUrl === null ? null : scrubUrl(v.eventSourceUrl),
    value: v.value,
    currency: v.currency,
    user,
    identifiers,
    customData: scrubCustomData(v.customData),
    consent: v.consent,
    testEventCode: ctx.testEventCode,
    touch,
    warnings,
    matchQuality: matchQuality(u, ctx),
  };
}

/**
 * A PageView records a click touch when it carries a click id, or else utm_source and
 * utm_campaign. For a Tally `click_id` the platform and campaign are the link's, which the
 * pipeline fills in (`resolveLinkTouches`) since that needs a lookup. The campaign is the
 * platform's campaign id when the URL carries one (`utm_id`, else `campaign_id`), else
 * `utm_campaign`: an id meets the campaign's spend even after a rename (docs/spend.md).
 */
function pageViewTouch(
  v: ValidEvent,
  clickKind: (typeof CLICK_ID_KINDS)[number] | null,
  identifiers: Identifier[],
): TouchInput | null {
  const str = (k: string): string | null => {
    const x = v.customData[k];
    return typeof x === "string" && x.length > 0 ? x.slice(0, 256) : null;
  };
  const utmSource = str("utm_source");
  const utmCampaign = str("utm_id") ?? str("campaign_id") ?? str("utm_campaign");
  const utmContent = str("utm_content");
  if (clickKind) {
    const clickValue = v.user[clickKind]!;
    return {
      kind: "click",
      time: v.eventTime,
      platform: platformForClickIdKind(clickKind) ?? utmSource ?? "unknown",
      campaign: utmCampaign,
      ad: utmContent,
      touchId: null,
      clickId: `${clickKind}:${clickValue}`,
      identifiers,
    };
  }
  if (utmSource && utmCampaign) {
    // Without a click id a reload or the next page cannot be told from a new click: one
    // utm touch per visitor, campaign and ad in each 30-minute slot.
    const who = v.user.anonymous_id ?? v.user.external_id ?? "";
    const slot = Math.floor(v.eventTime / UTM_SLOT_MS);
    const touchId = who ? `utm|${who}|${utmSource}|${utmCampaign}|${utmContent ?? ""}|${slot}` : null;
    return {
      kind: "click",
      time: v.eventTime,
      platform: utmSource.toLowerCase(),
      campaign: utmCampaign,
      ad: utmContent,
      touchId,
      clickId: null,
      identifiers,
    };
  }
  return null;
}
