/**
 * The quality decision for one click or conversion, as pure functions around one counter
 * call: `counterHits` says what to count, the counters (in memory, or in the commit
 * transaction) count it, `decideQuality` turns the answers into `{score, flags}`.
 * `assessQuality` does the three in order. Nothing here does I/O or sees a plain address:
 * the edge hands over an opaque address key and whether the address is a datacenter's.
 *
 * | flag               | set when                                                                         |
 * | ------------------ | -------------------------------------------------------------------------------- |
 * | `bot`              | the user agent is a crawler, headless browser or HTTP library, or `webdriver`    |
 * | `too_fast`         | a conversion < `min_click_to_conversion_seconds` after its last attributed click |
 * | `click_flood`      | a click beyond `max_clicks_per_ip_per_minute` from its address in 60 s           |
 * | `conversion_burst` | a conversion beyond `max_conversions_per_identity_per_hour` of its identity, or of its address, in an hour |
 * | `datacenter_ip`    | the address is in a cloud provider's published ranges                            |
 *
 * @example
 * const counters = new MemoryQualityCounters();
 * const isBot = createBotCheck();
 * assessQuality("ws_1", { kind: "click", userAgent: "curl/8.4.0", webdriver: false,
 *   addressKey: "a:…", datacenter: true, identityKey: null, sinceLastClickMs: null },
 *   DEFAULT_QUALITY_SETTINGS, counters, isBot, Date.now());
 * // { score: 0, flags: ["bot", "datacenter_ip"] }
 */
import type { CounterHit, CounterSpace, MaybePromise, QualityCounters } from "./counters.js";
import { scoreOf, type Quality, type QualityFlag } from "./flags.js";
import type { QualitySettings } from "./settings.js";
import type { BotCheck } from "./user-agent.js";

export const MINUTE_WINDOW_MS = 60_000;
export const HOUR_WINDOW_MS = 3_600_000;

/** What the decision knows of one accepted click or conversion. */
export interface QualitySubject {
  kind: "click" | "conversion";
  userAgent: string | null;
  /** The tracker saw `navigator.webdriver` (`user_data.webdriver: true`). */
  webdriver: boolean;
  /** `createAddressKeyer`'s key of the client address; null when the address is unknown. */
  addressKey: string | null;
  /** The address is in a loaded datacenter range (false when no list is loaded). */
  datacenter: boolean;
  /** Conversions: who converted (the person, else an identifier); null when nobody is known. */
  identityKey: string | null;
  /** Conversions: ms from the last click attributed to it; null when none was. */
  sinceLastClickMs: number | null;
}

/** The counters' answers, by space (absent: not counted). */
export type Counts = Partial<Record<CounterSpace, number>>;

/** What to count for this subject: each limit's key, window and cap (the limit + 1). */
export function counterHits(s: QualitySubject, settings: QualitySettings): CounterHit[] {
  const hits: CounterHit[] = [];
  if (s.kind === "click") {
    if (s.addressKey !== null)
      hits.push({
        space: "clicks_per_address",
        key: s.addressKey,
        windowMs: MINUTE_WINDOW_MS,
        cap: settings.maxClicksPerIpPerMinute + 1,
      });
    return hits;
  }
  const cap = settings.maxConversionsPerIdentityPerHour + 1;
  if (s.identityKey !== null)
    hits.push({ space: "conversions_per_identity", key: s.identityKey, windowMs: HOUR_WINDOW_MS, cap });
  if (s.addressKey !== null)
    hits.push({ space: "conversions_per_address", key: s.addressKey, windowMs: HOUR_WINDOW_MS, cap });
  return hits;
}

/** The counters' answers, by space. */
export function countsOf(hits: readonly CounterHit[], answers: readonly number[]): Counts {
  const out: Counts = {};
  for (let i = 0; i < hits.length; i++) out[hits[i]!.space] = answers[i];
  return out;
}

export function decideQuality(
  s: QualitySubject,
  settings: QualitySettings,
  counts: Counts,
  isBot: BotCheck,
): Quality {
  const flags: QualityFlag[] = [];
  if (s.webdriver || isBot(s.userAgent)) flags.push("bot");
  if (s.kind === "conversion") {
    const min = settings.minClickToConversionSeconds * 1000;
    if (s.sinceLastClickMs !== null && s.sinceLastClickMs < min) flags.push("too_fast");
  } else if ((counts.clicks_per_address ?? 0) > settings.maxClicksPerIpPerMinute) flags.push("click_flood");
  if (
    s.kind === "conversion" &&
    Math.max(counts.conversions_per_identity ?? 0, counts.conversions_per_address ?? 0) >
      settings.maxConversionsPerIdentityPerHour
  )
    flags.push("conversion_burst");
  if (s.datacenter) flags.push("datacenter_ip");
  return { score: scoreOf(flags), flags };
}

/** Counts (one call to the counters) and decides. `at` is the arrival time (ms). */
export function assessQuality(
  workspaceId: string,
  s: QualitySubject,
  settings: QualitySettings,
  counters: QualityCounters,
  isBot: BotCheck,
  at: number,
): MaybePromise<Quality> {
  const hits = counterHits(s, settings);
  if (hits.length === 0) return decideQuality(s, settings, {}, isBot);
  const answers = counters.hit(workspaceId, hits, at);
  return Array.isArray(answers)
    ? decideQuality(s, settings, countsOf(hits, answers), isBot)
    : answers.then((a) => decideQuality(s, settings, countsOf(hits, a), isBot));
}
