import { describe, expect, it } from "vitest";
import { createBotCheck } from "../../src/quality/user-agent.js";

describe("bot by user agent", () => {
  const isBot = createBotCheck({ maxEntries: 100, maxBytes: 64 * 1024 });

  it.each([
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "axios/1.6.0",
    "Wget/1.21.4",
  ])("bot: %s", (ua) => expect(isBot(ua)).toBe(true));

  it.each([
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
  ])("person: %s", (ua) => expect(isBot(ua)).toBe(false));

  it("no user agent is not a bot (a server's event carries none)", () => {
    expect(isBot(null)).toBe(false);
    expect(isBot(undefined)).toBe(false);
    expect(isBot("")).toBe(false);
  });

  it("the same answer from the cache, and a flood of distinct user agents stays bounded", () => {
    expect(isBot("curl/8.4.0")).toBe(true);
    for (let i = 0; i < 10_000; i++) isBot(`Mozilla/5.0 rotating ${i} ${"x".repeat(500)}`);
    expect(isBot("curl/8.4.0")).toBe(true);
    expect(isBot.usage().entries).toBeLessThanOrEqual(100);
    expect(isBot.usage().bytes).toBeLessThanOrEqual(64 * 1024);
    // A huge one is judged on its first 1024 characters, and cached as such.
    expect(typeof isBot("x".repeat(100_000))).toBe("boolean");
    expect(isBot.usage().bytes).toBeLessThanOrEqual(64 * 1024);
  });
});
