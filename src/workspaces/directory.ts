/**
 * Resolves keys to workspaces and workspaces to their conversion actions, with short-lived
 * caches so the ingest path does not read the store on every request. Keys are stored as
 * SHA-256 hashes; the comparison after the lookup is constant-time. The caches expire after
 * `ttlMs`, so a change made on another node is seen within that time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ConversionAction, Workspace } from "../domain/workspace.js";
import type { Store } from "../storage/storage.js";

interface Cached<T> {
  value: T;
  expires: number;
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function constantTimeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export class WorkspaceDirectory {
  private readonly secret = new Map<string, Cached<Workspace | null>>();
  private readonly pub = new Map<string, Cached<Workspace | null>>();
  private readonly actions = new Map<string, Cached<Map<string, ConversionAction>>>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 2000,
  ) {}

  async bySecretKey(key: string): Promise<Workspace | null> {
    const h = hashKey(key);
    const hit = this.secret.get(h);
    if (hit && hit.expires > Date.now()) return hit.value;
    const found = await this.store.findWorkspaceBySecretHash(h);
    const ws = found && constantTimeEqualHex(found.secretKeyHash, h) ? found.workspace : null;
    this.remember(this.secret, h, ws);
    return ws;
  }

  async byPublicKey(key: string): Promise<Workspace | null> {
    const hit = this.pub.get(key);
    if (hit && hit.expires > Date.now()) return hit.value;
    const ws = await this.store.findWorkspaceByPublicKey(key);
    this.remember(this.pub, key, ws);
    return ws;
  }

  async actionsOf(workspaceId: string): Promise<Map<string, ConversionAction>> {
    const hit = this.actions.get(workspaceId);
    if (hit && hit.expires > Date.now()) return hit.value;
    const list = await this.store.listConversionActions(workspaceId);
    const map = new Map(list.map((a) => [a.name, a]));
    this.remember(this.actions, workspaceId, map);
    return map;
  }

  /** Forget what is cached about a workspace after this node changed it. */
  invalidate(workspaceId: string): void {
    this.actions.delete(workspaceId);
    for (const m of [this.secret, this.pub])
      for (const [k, v] of m) if (v.value?.id === workspaceId) m.delete(k);
  }

  private remember<T>(m: Map<string, Cached<T>>, k: string, value: T): void {
    if (m.size > 10_000) m.clear();
    m.set(k, { value, expires: Date.now() + this.ttlMs });
  }
}
