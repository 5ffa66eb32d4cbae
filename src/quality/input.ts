/**
 * What the edge (the pipeline, while the client address is still plain) hands the commit for
 * one click or conversion, and the two decisions the commit makes from it. The address is
 * already an opaque key and a datacenter bit; the user agent already judged (`bot`), so the
 * commit core never sees an IP or a user agent, and its only state is the counters it reaches
 * through its transaction (`CommitTx.qualityHit`).
 *
 * @example
 * const edge = createQualityEdge({ keyOf, datacenter: matcher, isBot: createBotCheck() });
 * const input = edge(ws.quality, "203.0.113.9", "curl/8.4.0", false);
 * // { bot: true, addressKey: "a:…", datacenter: false, settings: {…} }
 * await clickQuality(tx, "ws_1", input, receivedAt); // { score: 30, flags: ["bot"] }
 */
import type { AddressKeyer } from "./address-key.js";
import type { CounterHit, MaybePromise } from "./counters.js";
import { counterHits, countsOf, decideQuality, type QualitySubject } from "./decide.js";
import type { Quality, QualityFlag } from "./flags.js";
import { QUALITY_FLAGS } from "./flags.js";
import type { QualitySettings } from "./settings.js";
import type { BotCheck } from "./user-agent.js";

export interface QualityInput {
  /** The user agent is a bot's, or the tracker saw `navigator.webdriver`. */
  bot: boolean;
  /** The client address's key (IPv6: its /64); null when no address is known. */
  addressKey: string | null;
  /** The address is in a loaded datacenter range. */
  datacenter: boolean;
  /** The workspace's thresholds in force when it arrived. */
  settings: QualitySettings;
}

/** Anything that counts hits: a store's transaction, or `MemoryQualityCounters`. */
export interface CounterTx {
  qualityHit(workspaceId: string, hits: readonly CounterHit[], at: number): MaybePromise<number[]>;
}

export interface QualityEdgeDeps {
  keyOf: AddressKeyer;
  /** The datacenter ranges; null when none is loaded (the flag is never set). */
  datacenter: { has(ip: string): boolean } | null;
  isBot: BotCheck;
}

export type QualityEdge = (
  settings: QualitySettings,
  ip: string | null,
  userAgent: string | null | undefined,
  webdriver: boolean,
) => QualityInput;

export function createQualityEdge(deps: QualityEdgeDeps): QualityEdge {
  return (settings, ip, userAgent, webdriver) => {
    const addressKey = deps.keyOf(ip);
    return {
      bot: webdriver || deps.isBot(userAgent),
      addressKey,
      datacenter: addressKey !== null && ip !== null && deps.datacenter !== null && deps.datacenter.has(ip),
      settings,
    };
  };
}

const judged = (bot: boolean): BotCheck => () => bot;

function decide(
  tx: CounterTx,
  workspaceId: string,
  s: QualitySubject,
  input: QualityInput,
  at: number,
): MaybePromise<Quality> {
  const hits = counterHits(s, input.settings);
  const isBot = judged(input.bot);
  if (hits.length === 0) return decideQuality(s, input.settings, {}, isBot);
  const answers = tx.qualityHit(workspaceId, hits, at);
  return Array.isArray(answers)
    ? decideQuality(s, input.settings, countsOf(hits, answers), isBot)
    : answers.then((a) => decideQuality(s, input.settings, countsOf(hits, a), isBot));
}

/** A click (a tracking link's, a landing PageView's): counted per address in 60 s. */
export function clickQuality(
  tx: CounterTx,
  workspaceId: string,
  input: QualityInput,
  at: number,
): MaybePromise<Quality> {
  return decide(
    tx,
    workspaceId,
    {
      kind: "click",
      userAgent: null,
      webdriver: false,
      addressKey: input.addressKey,
      datacenter: input.datacenter,
      identityKey: null,
      sinceLastClickMs: null,
    },
    input,
    at,
  );
}

/** A conversion: counted per identity and per address in an hour; `too_fast` from its last click. */
export function conversionQuality(
  tx: CounterTx,
  workspaceId: string,
  input: QualityInput,
  identityKey: string | null,
  sinceLastClickMs: number | null,
  at: number,
): MaybePromise<Quality> {
  return decide(
    tx,
    workspaceId,
    {
      kind: "conversion",
      userAgent: null,
      webdriver: false,
      addressKey: input.addressKey,
      datacenter: input.datacenter,
      identityKey,
      sinceLastClickMs,
    },
    input,
    at,
  );
}

/** Flags as stored: one bit per flag in `QUALITY_FLAGS` order (0 = clean), cheap to filter on. */
export function flagMask(flags: readonly QualityFlag[]): number {
  let m = 0;
  for (const f of flags) m |= 1 << QUALITY_FLAGS.indexOf(f);
  return m;
}

export function flagsOfMask(mask: number): QualityFlag[] {
  return QUALITY_FLAGS.filter((_f, i) => (mask & (1 << i)) !== 0);
}

/** What a flagged row keeps of its address key: 8 characters of the HMAC (48 bits), for listing. */
export function shortAddressKey(key: string | null): string | null {
  return key === null ? null : key.slice(0, 10);
}

/** A stored decision back as the wire has it; null when none was made (imports, old rows). */
export function qualityOfColumns(score: number | null, mask: number | null): Quality | null {
  return score === null ? null : { score: Number(score), flags: flagsOfMask(Number(mask ?? 0)) };
}
