/**
 * A workspace's quality settings for a click that arrives without a key (`GET /c/{id}`: the
 * link names the workspace). Read through `load` and kept 2 s — as long as the key caches keep
 * a workspace, so a settings change reaches every node as quickly — in an LRU bounded by
 * entries (link ids are checked against the store before anyone gets here).
 */
import { LRUCache } from "lru-cache";
import { DEFAULT_QUALITY_SETTINGS, type QualitySettings } from "./settings.js";

export function createSettingsCache(
  load: (workspaceId: string) => Promise<QualitySettings | null>,
  opts: { ttlMs?: number; maxEntries?: number } = {},
): (workspaceId: string) => Promise<QualitySettings> {
  const cache = new LRUCache<string, QualitySettings>({
    max: opts.maxEntries ?? 10_000,
    ttl: opts.ttlMs ?? 2_000,
  });
  return async (workspaceId) => {
    const hit = cache.get(workspaceId);
    if (hit) return hit;
    const s = (await load(workspaceId)) ?? DEFAULT_QUALITY_SETTINGS;
    cache.set(workspaceId, s);
    return s;
  };
}
