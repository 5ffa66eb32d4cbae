/**
 * Resolves keys to workspaces and workspaces to their conversion actions, with short-lived
 * caches so the ingest path does not read the store on every request. Keys are stored as
 * SHA-256 hashes; the comparison after the lookup is constant-time.
 *
 * Every cache is an LRU bounded by entries and by (estimated) bytes: when full, the least
 * recently used entry goes, never the whole cache. Unknown keys are remembered apart from
 * known ones, so a flood of made-up keys can only push out other made-up keys. Callers check
 * a key's shape (`key-format.ts`) before asking, so a string that cannot be a key never
 * reaches a cache.
 *
 * An entry lives `ttlMs` at most, and never past the key's own end: a key rotated out with a
 * grace period is cached only until its grace ends. So a change made on another node is seen
 * here within `ttlMs`, which is what the key rotation waits for (see `key-rotation.ts`).
 */
import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "@tally/protocol";
import { LRUCache } from "lru-cache";
import type { ConversionAction, Workspace } from "../domain/workspace.js";
import type { Store, WorkspaceKeyKind } from "../storage/storage.js";

export function hashKey(key: string): string {
  return sha256Hex(key);
}

export function constantTimeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

function constantTimeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface DirectoryLimits {
  /** How long an answer is reused (default 2 s): the delay before a change on another node shows here. */
  ttlMs?: number;
  /** Most known keys cached (default 10,000) and their estimated bytes (default 16 MiB). */
  maxKeys?: number;
  maxKeyBytes?: number;
  /** Most unknown keys remembered (default 10,000) and their estimated bytes (default 2 MiB). */
  maxMisses?: number;
  maxMissBytes?: number;
  /** Most workspaces whose conversion actions are cached (default 10,000) and their bytes (default 16 MiB). */
  maxActionSets?: number;
  maxActionBytes?: number;
}

/** Estimated bytes of an entry beside its key and value: LRU bookkeeping, object headers. */
const ENTRY_BYTES = 128;
const textBytes = (s: string) => s.length * 2;

export class WorkspaceDirectory {
  readonly ttlMs: number;
  private readonly keys: LRUCache<string, Workspace>;
  private readonly misses: LRUCache<string, true>;
  private readonly actions: LRUCache<string, Map<string, ConversionAction>>;

  constructor(
    private readonly store: Store,
    limits: DirectoryLimits = {},
  ) {
    this.ttlMs = limits.ttlMs ?? 2000;
    this.keys = new LRUCache<string, Workspace>({
      max: limits.maxKeys ?? 10_000,
      maxSize: limits.maxKeyBytes ?? 16 * 1024 * 1024,
      sizeCalculation: (ws, k) => textBytes(k) + textBytes(JSON.stringify(ws)) + ENTRY_BYTES,
      ttl: this.ttlMs,
    });
    this.misses = new LRUCache<string, true>({
      max: limits.maxMisses ?? 10_000,
      maxSize: limits.maxMissBytes ?? 2 * 1024 * 1024,
      sizeCalculation: (_v, k) => textBytes(k) + ENTRY_BYTES,
      ttl: this.ttlMs,
    });
    this.actions = new LRUCache<string, Map<string, ConversionAction>>({
      max: limits.maxActionSets ?? 10_000,
      maxSize: limits.maxActionBytes ?? 16 * 1024 * 1024,
      sizeCalculation: (m, k) => textBytes(k) + textBytes(JSON.stringify([...m.values()])) + ENTRY_BYTES,
      ttl: this.ttlMs,
    });
  }

  /** The workspace of a secret key (current, or rotated out and still in its grace), or null. */
  bySecretKey(key: string): Promise<Workspace | null> {
    return this.lookup("secret", hashKey(key));
  }

  /** The workspace of a public key (current, or rotated out and still in its grace), or null. */
  byPublicKey(key: string): Promise<Workspace | null> {
    return this.lookup("public", key);
  }

  private async lookup(kind: WorkspaceKeyKind, value: string): Promise<Workspace | null> {
    const cacheKey = `${kind === "secret" ? "s" : "p"}:${value}`;
    const hit = this.keys.get(cacheKey);
    if (hit) return hit;
    if (this.misses.has(cacheKey)) return null;
    const now = Date.now();
    const found = await this.store.findWorkspaceByKey(kind, value, now);
    const same =
      found !== null &&
      (kind === "secret"
        ? constantTimeEqualHex(found.stored, value)
        : constantTimeEqualText(found.stored, value));
    if (!found || !same) {
      this.misses.set(cacheKey, true);
      return null;
    }
    const ttl = found.expiresAt === null ? this.ttlMs : Math.min(this.ttlMs, found.expiresAt - now);
    if (ttl > 0) this.keys.set(cacheKey, found.workspace, { ttl });
    return found.workspace;
  }

  async actionsOf(workspaceId: string): Promise<Map<string, ConversionAction>> {
    const hit = this.actions.get(workspaceId);
    if (hit) return hit;
    const list = await this.store.listConversionActions(workspaceId);
    const map = new Map(list.map((a) => [a.name, a]));
    this.actions.set(workspaceId, map);
    return map;
  }

  /** Forget what is cached about a workspace after this node changed it. */
  invalidate(workspaceId: string): void {
    this.actions.delete(workspaceId);
    for (const [k, ws] of this.keys.entries()) if (ws.id === workspaceId) this.keys.delete(k);
  }

  /** Entries and estimated bytes held by each cache (tests, metrics). */
  get sizes(): Record<"keys" | "misses" | "actions", { entries: number; bytes: number }> {
    const of = (c: { size: number; calculatedSize: number }) => ({
      entries: c.size,
      bytes: c.calculatedSize,
    });
    return { keys: of(this.keys), misses: of(this.misses), actions: of(this.actions) };
  }
}
