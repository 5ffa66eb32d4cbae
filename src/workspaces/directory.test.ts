/**
 * The directory's caches against a real SQLite store: bounded by entries and bytes whatever
 * is asked of them, evicting the least recently used entry rather than emptying a cache.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import type { Store } from "../storage/storage.js";
import { hashKey, WorkspaceDirectory } from "./directory.js";
import { newPublicKey, newSecretKey } from "./key-format.js";
import { SQLITE_WRITER_ENTRY } from "../open-store.js";

describe("WorkspaceDirectory", () => {
  let dir: string;
  let store: Store;
  const keys: { pk: string; sk: string; id: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tally-directory-"));
    store = new SqliteStore({
      path: join(dir, "tally.db"),
      synchronous: "normal",
      dedupWindowMs: 7 * DAY_MS,
      maxGroupWeight: 1000,
      writer: SQLITE_WRITER_ENTRY,
    });
    await store.init();
    for (let i = 0; i < 30; i++) {
      const pk = newPublicKey();
      const sk = newSecretKey();
      const ws = await store.createWorkspace(
        { name: `Shop ${i} ${"n".repeat(i * 20)}`, currency: "USD", timezone: "UTC" },
        { publicKey: pk, secretKeyHash: hashKey(sk) },
        standardActions(),
      );
      keys.push({ pk, sk, id: ws.id });
    }
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resolves both keys, and nothing for an unknown one", async () => {
    const d = new WorkspaceDirectory(store);
    expect((await d.byPublicKey(keys[0]!.pk))?.id).toBe(keys[0]!.id);
    expect((await d.bySecretKey(keys[0]!.sk))?.id).toBe(keys[0]!.id);
    expect(await d.byPublicKey(newPublicKey())).toBeNull();
    expect(await d.bySecretKey(newSecretKey())).toBeNull();
  });

  it("thousands of made-up keys leave every cache within its entries and bytes", async () => {
    const d = new WorkspaceDirectory(store, {
      maxKeys: 20,
      maxKeyBytes: 16_000,
      maxMisses: 100,
      maxMissBytes: 20_000,
    });
    for (let i = 0; i < 3000; i++) {
      // Well-shaped (the only ones that reach the directory), of every allowed length.
      const len = 16 + (i % 49);
      await d.byPublicKey("pk_" + String(i).padStart(len, "x"));
      await d.bySecretKey("sk_" + String(i).padStart(32 + (i % 33), "y"));
    }
    for (const k of keys) {
      await d.byPublicKey(k.pk);
      await d.bySecretKey(k.sk);
    }
    const s = d.sizes;
    expect(s.misses.entries).toBeLessThanOrEqual(100);
    expect(s.misses.bytes).toBeLessThanOrEqual(20_000);
    expect(s.keys.entries).toBeLessThanOrEqual(20);
    expect(s.keys.bytes).toBeLessThanOrEqual(16_000);
    expect(s.misses.entries).toBeGreaterThan(0);
    expect(s.keys.entries).toBeGreaterThan(0);
  });

  it("a flood of unknown keys never pushes out a known one in use", async () => {
    const d = new WorkspaceDirectory(store, { maxKeys: 10, maxMisses: 50, ttlMs: 60_000 });
    const known = keys[1]!;
    expect(await d.byPublicKey(known.pk)).not.toBeNull();
    for (let i = 0; i < 2000; i++) await d.byPublicKey("pk_" + String(i).padStart(20, "z"));
    expect(d.sizes.keys.entries).toBe(1);
    expect(d.sizes.misses.entries).toBe(50);
  });

  it("when full, the least recently used entry goes, not the whole cache", async () => {
    // The real store, counting the lookups that reach it.
    let lookups = 0;
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === "findWorkspaceByKey" && typeof v === "function")
          return (...args: unknown[]) => {
            lookups++;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const d = new WorkspaceDirectory(counted, { maxKeys: 5, ttlMs: 60_000 });
    for (const k of keys.slice(0, 5)) await d.byPublicKey(k.pk);
    expect(lookups).toBe(5);
    await d.byPublicKey(keys[0]!.pk); // a hit, and now the most recently used
    expect(lookups).toBe(5);
    await d.byPublicKey(keys[5]!.pk); // a sixth: evicts keys[1], the least recently used
    expect(d.sizes.keys.entries).toBe(5);
    await d.byPublicKey(keys[0]!.pk);
    await d.byPublicKey(keys[2]!.pk);
    expect(lookups).toBe(6); // both still cached
    await d.byPublicKey(keys[1]!.pk);
    expect(lookups).toBe(7); // evicted, so asked again
  });

  it("a rotated-out key is cached no longer than its grace", async () => {
    const d = new WorkspaceDirectory(store, { ttlMs: 60_000 });
    const k = keys[7]!;
    const now = Date.now();
    await store.rotateWorkspaceKey(k.id, "public", newPublicKey(), now + 300, now);
    expect((await d.byPublicKey(k.pk))?.id).toBe(k.id);
    await until(async () => (await d.byPublicKey(k.pk)) === null);
  });
});

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition never held");
}
