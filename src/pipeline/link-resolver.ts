/**
 * Tracking links are immutable once made, so they are cached without expiry, in an LRU bounded
 * by entries and bytes (the least recently used link goes when it is full, never the whole
 * cache). Unknown ids are remembered for a minute in a small LRU of their own (link ids are
 * random, so an id unknown now is never made later), so a flood of made-up ids on `/c/{id}`
 * costs the store one read each per minute at most. A Tally click id
 * (`tc.<link>.<random>`) names its link, so a landing PageView whose redirect click was never
 * recorded can still be attributed to the link's platform and campaign.
 */
import type { TouchInput } from "../domain/event.js";
import { LRUCache } from "lru-cache";
import type { Link, Store } from "../storage/storage.js";

export class LinkResolver {
  private readonly cache = new LRUCache<string, Link>({
    max: 100_000,
    maxSize: 64 * 1024 * 1024,
    sizeCalculation: (l, id) => (id.length + JSON.stringify(l).length) * 2 + 128,
  });
  private readonly misses = new LRUCache<string, true>({
    max: 10_000,
    maxSize: 2 * 1024 * 1024,
    sizeCalculation: (_v, id) => id.length * 2 + 128,
    ttl: 60_000,
  });
  constructor(private readonly store: Store) {}

  async get(id: string): Promise<Link | null> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    if (this.misses.has(id)) return null;
    const link = await this.store.getLink(id);
    if (link) this.cache.set(id, link);
    else this.misses.set(id, true);
    return link;
  }

  static clickIdFor(link: Link, random: string): string {
    return `tc.${link.id.slice(4)}.${random}`;
  }

  static linkIdOf(clickId: string): string | null {
    const m = /^tc\.([0-9a-z]{26})\.[0-9A-Za-z_-]+$/.exec(clickId);
    return m ? `lnk_${m[1]}` : null;
  }

  /**
   * Gives a landing PageView's Tally click the link's platform, campaign and ad. False when the
   * click id names no link of this workspace: such a touch would credit nothing real (and a
   * link of another workspace must never leak its names here), so the caller drops it.
   */
  async fillTouch(workspaceId: string, touch: TouchInput, clickId: string): Promise<boolean> {
    const id = LinkResolver.linkIdOf(clickId);
    const link = id ? await this.get(id) : null;
    if (!link || link.workspaceId !== workspaceId) return false;
    touch.platform = link.platform;
    touch.campaign = link.campaign;
    touch.ad = link.ad;
    return true;
  }
}
