/**
 * `bot` from the user agent: crawlers, headless browsers and HTTP libraries (`Googlebot`,
 * `HeadlessChrome`, `curl/`, `python-requests`, …), recognised by the `isbot` library, whose
 * pattern list is kept up to date by its maintainers. Its one large regular expression costs a
 * few µs on an ordinary browser's user agent, and a site's traffic repeats a few thousand of
 * them, so answers are remembered in an LRU bounded by entries and bytes (a client can send any
 * user agent it likes: a new one per request only ever costs the miss).
 */
import { isbot } from "isbot";
import { LRUCache } from "lru-cache";

/** Longer user agents are judged on their first 1024 characters (isbot's own patterns are short). */
const MAX_UA = 1024;

export type BotCheck = (userAgent: string | null | undefined) => boolean;

export function createBotCheck(
  opts: { maxEntries?: number; maxBytes?: number } = {},
): BotCheck & { usage(): { entries: number; bytes: number } } {
  const cache = new LRUCache<string, boolean>({
    max: opts.maxEntries ?? 10_000,
    maxSize: opts.maxBytes ?? 8 * 1024 * 1024,
    sizeCalculation: (_v, k) => 2 * k.length + 80,
  });
  const check: BotCheck = (ua) => {
    if (!ua) return false; // none sent (a server's event): nothing to judge
    const s = ua.length > MAX_UA ? ua.slice(0, MAX_UA) : ua;
    let v = cache.get(s);
    if (v === undefined) {
      v = isbot(s);
      cache.set(s, v);
    }
    return v;
  };
  return Object.assign(check, {
    usage: () => ({ entries: cache.size, bytes: cache.calculatedSize }),
  });
}
