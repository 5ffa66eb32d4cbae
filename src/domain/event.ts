import type { ModelName } from "./models.js";
import type { Quality } from "../quality/flags.js";
import type { QualityInput } from "../quality/input.js";

/** The shapes an event takes on its way through the pipeline. */

export const CLICK_ID_KINDS = [
  "click_id",
  "gclid",
  "gbraid",
  "wbraid",
  "fbclid",
  "msclkid",
  "ttclid",
  "li_fat_id",
] as const;
export type ClickIdKind = (typeof CLICK_ID_KINDS)[number];

/** Kinds of identifier the identity graph links. Hashed email/phone never appear in plain text. */
export type IdentifierKind = "anonymous_id" | "external_id" | "email" | "phone" | ClickIdKind;

export interface Identifier {
  kind: IdentifierKind;
  value: string;
}

export type ConsentValue = "granted" | "denied";
export interface Consent {
  ad_user_data?: ConsentValue;
  ad_personalization?: ConsentValue;
  analytics?: ConsentValue;
}

/**
 * What a destination needs of a person, already normalized and hashed. Email and phone are
 * kept in each form the platforms want (generic and Google email hash; phone with and
 * without `+`), since a hash cannot be turned into another hash later.
 */
export interface HashedUserData {
  em?: string;
  em_google?: string;
  ph?: string; // sha256 of E.164 with '+'
  ph_digits?: string; // sha256 of E.164 digits (Meta)
  external_id?: string;
  anonymous_id?: string;
  client_ip_enc?: string; // AES-GCM, key outside the store; purged after the retention period
  client_ip_truncated?: string; // /24 or /48
  client_user_agent?: string;
  fbc?: string;
  fbp?: string;
  click_id?: string;
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  fbclid?: string;
  msclkid?: string;
  ttclid?: string;
  li_fat_id?: string;
}

/** A click or impression to record, from a PageView, a tracking link, or an import. */
export interface TouchInput {
  kind: "click" | "impression";
  time: number; // ms
  platform: string;
  campaign: string | null;
  ad: string | null;
  touchId: string | null; // dedups re-imports
  clickId: string | null; // the click id value, so a click is recorded once
  identifiers: Identifier[];
  /** A click seen by Tally itself (a link, a landing PageView): what its quality is decided from. */
  quality?: QualityInput;
}

/** An event after validate and normalize: what the commit stage (dedup → persist) receives. */
export interface NormalizedEvent {
  id: string; // evt_…, assigned before commit; a duplicate answers the original's id instead
  workspaceId: string;
  eventName: string;
  isConversion: boolean;
  eventTime: number; // ms
  receivedAt: number; // ms, the server's clock
  eventId: string | null;
  orderId: string | null;
  actionSource: string | null;
  eventSourceUrl: string | null;
  value: number | null;
  currency: string | null;
  user: HashedUserData;
  identifiers: Identifier[];
  customData: Record<string, unknown>;
  consent: Consent | null;
  testEventCode: string | null;
  /** A PageView carrying a click id or utm campaign records a click touch. */
  touch: TouchInput | null;
  /** Fields dropped on the way in (unparseable phone, …), reported back as warnings. */
  warnings: string[];
  /** What a conversion's quality is decided from (null: not judged, e.g. a test event). */
  qualityInput?: QualityInput | null;
  /** The decision, made in the commit (quality step) and stored with the event. */
  quality?: Quality | null;
  /** How well a platform can match it (pipeline/match-quality.ts), judged before hashing. */
  matchQuality?: {
    score: number;
    identifiers: string[];
    problems: { code: string; field: string; message: string }[];
  };
}

export type EventStatus = "accepted" | "duplicate";

/** How an event arrived: `/v1/events` (secret key), `/t/collect` or `/t/p.gif` (public key). */
export type EventSource = "server" | "browser" | "pixel";

/** A stored event whose browser copy a server copy replaced: what the live feed republishes. */
export interface SupersededEvent {
  eventName: string;
  eventTime: number;
  receivedAt: number;
  eventId: string | null;
  value: number | null;
  currency: string | null;
  previousValue: number | null;
  previousCurrency: string | null;
  attribution: Record<ModelName, CreditRow[]> | null;
}

/** One touch's share of a conversion, as stored and reported. */
export interface CreditRow {
  platform: string;
  campaign: string | null;
  ad: string | null;
  time: number;
  credit: number;
}

/** The outcome of committing one event; accepted conversions carry their attribution. */
export interface CommitOutcome {
  status: EventStatus;
  id: string;
  attribution?: Record<ModelName, CreditRow[]>;
  /** On a duplicate that superseded the stored (browser) copy: the event as it now stands. */
  superseded?: SupersededEvent;
  /** Accepted conversions (and PageViews that recorded a click): the quality decision. */
  quality?: Quality;
  /** How many of the event's identifiers the identity merge limits kept apart (when any). */
  linksRefused?: number;
}
