/**
 * Tracking links are immutable once made, so they are cached without expiry. A Tally click id
 * (`tc.<link>.<random>`) names its link, so a landing PageView whose redirect click was never
 * recorded can still be attributed to the link's platform and campaign.
 */
import type { TouchInput } from "../domain/event.js";
import type { Link, Store } from "../storage/storage.js";

export class LinkResolver {
  private readonly cache = new Map<string, Link | null>();
  constructor(private readonly store: Store) {}

  async get(id: string): Promise<Link | null> {
    if (this.cache.has(id)) return this.cache.get(id)!;
    const link = await this.store.getLink(id);
    if (link) {
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(id, link);
    }
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
