import { describe, expect, it } from "vitest";
import { MemoryQualityCounters } from "../../src/quality/memory-counters.js";
import { assessQuality, counterHits, decideQuality, type QualitySubject } from "../../src/quality/decide.js";
import { FLAG_WEIGHTS, QUALITY_FLAGS, scoreOf, type Quality } from "../../src/quality/flags.js";
import { DEFAULT_QUALITY_SETTINGS, effectiveQualitySettings } from "../../src/quality/settings.js";
import { createBotCheck } from "../../src/quality/user-agent.js";
import type { CounterHit, QualityCounters } from "../../src/quality/counters.js";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const isBot = createBotCheck();
const T0 = Date.UTC(2026, 10, 29, 14, 0, 0);

const click = (over: Partial<QualitySubject> = {}): QualitySubject => ({
  kind: "click",
  userAgent: CHROME,
  webdriver: false,
  addressKey: "a:one",
  datacenter: false,
  identityKey: null,
  sinceLastClickMs: null,
  ...over,
});
const conversion = (over: Partial<QualitySubject> = {}): QualitySubject => ({
  ...click(),
  kind: "conversion",
  identityKey: "person_1",
  sinceLastClickMs: 600_000,
  ...over,
});
const decide = (s: QualitySubject, counts = {}) => decideQuality(s, DEFAULT_QUALITY_SETTINGS, counts, isBot);

describe("the score", () => {
  it("is 100 − the flags' weights, never below 0", () => {
    expect(scoreOf([])).toBe(100);
    expect(scoreOf(["datacenter_ip"])).toBe(70);
    expect(scoreOf(["bot"])).toBe(30);
    expect(scoreOf(["too_fast", "conversion_burst"])).toBe(10);
    expect(scoreOf(["bot", "datacenter_ip"])).toBe(0);
    expect(scoreOf([...QUALITY_FLAGS])).toBe(0);
  });

  it("every weight is between 1 and 100", () => {
    for (const f of QUALITY_FLAGS) expect(FLAG_WEIGHTS[f]).toBeGreaterThan(0);
    for (const f of QUALITY_FLAGS) expect(FLAG_WEIGHTS[f]).toBeLessThanOrEqual(100);
  });
});

describe("decideQuality", () => {
  it.each<[string, QualitySubject, Record<string, number>, Quality]>([
    ["a clean click", click(), { clicks_per_address: 1 }, { score: 100, flags: [] }],
    [
      "a clean conversion",
      conversion(),
      { conversions_per_identity: 1, conversions_per_address: 1 },
      { score: 100, flags: [] },
    ],
    [
      "Googlebot",
      click({ userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" }),
      {},
      { score: 30, flags: ["bot"] },
    ],
    [
      "bingbot",
      click({ userAgent: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)" }),
      {},
      { score: 30, flags: ["bot"] },
    ],
    [
      "HeadlessChrome",
      conversion({ userAgent: CHROME.replace("Chrome/", "HeadlessChrome/") }),
      {},
      { score: 30, flags: ["bot"] },
    ],
    ["curl", click({ userAgent: "curl/8.4.0" }), {}, { score: 30, flags: ["bot"] }],
    ["python-requests", click({ userAgent: "python-requests/2.31.0" }), {}, { score: 30, flags: ["bot"] }],
    [
      "navigator.webdriver with an ordinary UA",
      conversion({ webdriver: true }),
      {},
      { score: 30, flags: ["bot"] },
    ],
    ["no user agent (a server's event)", conversion({ userAgent: null }), {}, { score: 100, flags: [] }],
    [
      "2.9 s after the click",
      conversion({ sinceLastClickMs: 2_900 }),
      {},
      { score: 50, flags: ["too_fast"] },
    ],
    ["0 s after the click", conversion({ sinceLastClickMs: 0 }), {}, { score: 50, flags: ["too_fast"] }],
    ["3 s after the click", conversion({ sinceLastClickMs: 3_000 }), {}, { score: 100, flags: [] }],
    ["no attributed click", conversion({ sinceLastClickMs: null }), {}, { score: 100, flags: [] }],
    ["the 20th click of a minute", click(), { clicks_per_address: 20 }, { score: 100, flags: [] }],
    [
      "the 21st click of a minute",
      click(),
      { clicks_per_address: 21 },
      { score: 50, flags: ["click_flood"] },
    ],
    [
      "the 6th conversion of a person in an hour",
      conversion(),
      { conversions_per_identity: 6, conversions_per_address: 1 },
      { score: 60, flags: ["conversion_burst"] },
    ],
    [
      "the 6th conversion of an address in an hour",
      conversion(),
      { conversions_per_identity: 1, conversions_per_address: 6 },
      { score: 60, flags: ["conversion_burst"] },
    ],
    [
      "the 5th conversion",
      conversion(),
      { conversions_per_identity: 5, conversions_per_address: 5 },
      { score: 100, flags: [] },
    ],
    ["a datacenter address", click({ datacenter: true }), {}, { score: 70, flags: ["datacenter_ip"] }],
    [
      "everything at once, in the fixed order",
      conversion({ userAgent: "curl/8", sinceLastClickMs: 10, datacenter: true }),
      { conversions_per_identity: 9 },
      { score: 0, flags: ["bot", "too_fast", "conversion_burst", "datacenter_ip"] },
    ],
    // A click's counts never make a conversion flag, nor the other way round.
    ["a click with conversion counts", click(), { conversions_per_identity: 99 }, { score: 100, flags: [] }],
    ["a conversion with click counts", conversion(), { clicks_per_address: 99 }, { score: 100, flags: [] }],
    ["a click is never too fast", click({ sinceLastClickMs: 1 }), {}, { score: 100, flags: [] }],
  ])("%s", (_name, subject, counts, expected) => expect(decide(subject, counts)).toEqual(expected));

  it("follows the workspace's thresholds", () => {
    const strict = effectiveQualitySettings({
      minClickToConversionSeconds: 10,
      maxClicksPerIpPerMinute: 2,
      maxConversionsPerIdentityPerHour: 1,
    });
    expect(decideQuality(conversion({ sinceLastClickMs: 9_999 }), strict, {}, isBot).flags).toEqual([
      "too_fast",
    ]);
    expect(decideQuality(click(), strict, { clicks_per_address: 3 }, isBot).flags).toEqual(["click_flood"]);
    expect(decideQuality(conversion(), strict, { conversions_per_identity: 2 }, isBot).flags).toEqual([
      "conversion_burst",
    ]);
    const off = effectiveQualitySettings({ minClickToConversionSeconds: 0 });
    expect(decideQuality(conversion({ sinceLastClickMs: 0 }), off, {}, isBot).flags).toEqual([]);
  });
});

describe("counterHits", () => {
  it("a click counts its address per minute, capped at the limit + 1", () => {
    expect(counterHits(click(), DEFAULT_QUALITY_SETTINGS)).toEqual([
      { space: "clicks_per_address", key: "a:one", windowMs: 60_000, cap: 21 },
    ]);
  });
  it("a conversion counts its identity and its address per hour", () => {
    expect(counterHits(conversion(), DEFAULT_QUALITY_SETTINGS)).toEqual([
      { space: "conversions_per_identity", key: "person_1", windowMs: 3_600_000, cap: 6 },
      { space: "conversions_per_address", key: "a:one", windowMs: 3_600_000, cap: 6 },
    ]);
  });
  it("nothing is counted without an address or identity", () => {
    expect(counterHits(click({ addressKey: null }), DEFAULT_QUALITY_SETTINGS)).toEqual([]);
    expect(
      counterHits(conversion({ addressKey: null, identityKey: null }), DEFAULT_QUALITY_SETTINGS),
    ).toEqual([]);
  });
});

describe("assessQuality over counters", () => {
  it("a flood from one address: the clicks beyond 20 in 60 s are flagged, and a quiet minute clears it", () => {
    const counters = new MemoryQualityCounters();
    const flags = Array.from(
      { length: 25 },
      (_, i) =>
        (assessQuality("ws_1", click(), DEFAULT_QUALITY_SETTINGS, counters, isBot, T0 + i * 100) as Quality)
          .flags,
    );
    expect(flags.slice(0, 20).every((f) => f.length === 0)).toBe(true);
    expect(flags.slice(20).every((f) => f.join() === "click_flood")).toBe(true);
    // Another address and another workspace are not affected.
    expect(
      assessQuality(
        "ws_1",
        click({ addressKey: "a:two" }),
        DEFAULT_QUALITY_SETTINGS,
        counters,
        isBot,
        T0 + 2_600,
      ),
    ).toEqual({ score: 100, flags: [] });
    expect(assessQuality("ws_2", click(), DEFAULT_QUALITY_SETTINGS, counters, isBot, T0 + 2_600)).toEqual({
      score: 100,
      flags: [],
    });
    // 60 s after the 25th click, the window holds only the new one.
    expect(
      assessQuality("ws_1", click(), DEFAULT_QUALITY_SETTINGS, counters, isBot, T0 + 2_400 + 60_000),
    ).toEqual({ score: 100, flags: [] });
  });

  it("the window slides: 20 clicks in the first 0.2 s, then the 21st at 59.9 s is flagged; once the first ones left, clean", () => {
    const counters = new MemoryQualityCounters();
    const at = (ms: number) =>
      (assessQuality("ws", click(), DEFAULT_QUALITY_SETTINGS, counters, isBot, T0 + ms) as Quality).flags;
    for (let i = 0; i < 20; i++) expect(at(i * 10)).toEqual([]);
    expect(at(59_900)).toEqual(["click_flood"]);
    // (T0+5 ms, T0+60.005 s]: the clicks at 10…190 ms (19), the one at 59.9 s, and this one.
    expect(at(60_005)).toEqual(["click_flood"]);
    // (T0+195 ms, T0+60.195 s]: three.
    expect(at(60_195)).toEqual([]);
  });

  it("a burst of one person's conversions across addresses, and of one address across people", () => {
    const counters = new MemoryQualityCounters();
    const person = Array.from({ length: 7 }, (_, i) =>
      (
        assessQuality(
          "ws",
          conversion({ addressKey: `a:${i}` }),
          DEFAULT_QUALITY_SETTINGS,
          counters,
          isBot,
          T0 + i * 60_000,
        ) as Quality
      ).flags.join(),
    );
    expect(person).toEqual(["", "", "", "", "", "conversion_burst", "conversion_burst"]);
    const address = Array.from({ length: 6 }, (_, i) =>
      (
        assessQuality(
          "ws",
          conversion({ identityKey: `p${i}`, addressKey: "a:shared" }),
          DEFAULT_QUALITY_SETTINGS,
          counters,
          isBot,
          T0 + i,
        ) as Quality
      ).flags.join(),
    );
    expect(address).toEqual(["", "", "", "", "", "conversion_burst"]);
  });

  it("works with counters that answer asynchronously (a store's transaction)", async () => {
    const memory = new MemoryQualityCounters();
    const seen: CounterHit[][] = [];
    const asyncCounters: QualityCounters = {
      hit: (ws, hits, at) => {
        seen.push([...hits]);
        return Promise.resolve(memory.hit(ws, hits, at));
      },
    };
    let last: Quality | null = null;
    for (let i = 0; i < 21; i++)
      last = await assessQuality("ws", click(), DEFAULT_QUALITY_SETTINGS, asyncCounters, isBot, T0 + i);
    expect(last).toEqual({ score: 50, flags: ["click_flood"] });
    expect(seen).toHaveLength(21);
    // Nothing to count: the counters are not asked.
    await assessQuality(
      "ws",
      click({ addressKey: null }),
      DEFAULT_QUALITY_SETTINGS,
      asyncCounters,
      isBot,
      T0,
    );
    expect(seen).toHaveLength(21);
  });
});
