import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../config/config.js";
import { newId } from "../domain/ids.js";
import { standardActions } from "../domain/workspace.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { createCipher } from "./cipher.js";
import { KEY_CHECK_TEXT, checkKey, keySourceOf, unlockStore, type KeySource } from "./key-check.js";
import { SQLITE_WRITER_ENTRY } from "../open-store.js";

const KEY_A = "a1".repeat(32);
const KEY_B = "b2".repeat(32);

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sqlite(): Promise<{ store: SqliteStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tally-keycheck-"));
  dirs.push(dir);
  const store = new SqliteStore({
    path: join(dir, "tally.db"),
    synchronous: "normal",
    dedupWindowMs: 86_400_000,
    maxGroupWeight: 100,
    writer: SQLITE_WRITER_ENTRY,
  });
  await store.init();
  stores.push(store);
  return { store, dir };
}

const source = (over: Partial<KeySource> = {}): KeySource => ({
  fromEnvironment: true,
  keyFile: "/data/encryption.key",
  otherKey: null,
  shared: false,
  ...over,
});

describe("checkKey", () => {
  it("seals the check at the first start; the same key passes later, another key does not", async () => {
    const { store } = await sqlite();
    expect(await checkKey(store, createCipher(KEY_A))).toBe(true);
    const sealed = await store.getKeyCheck();
    expect(sealed).not.toBeNull();
    expect(sealed).not.toContain(KEY_CHECK_TEXT);
    expect(createCipher(KEY_A).decrypt(sealed!)).toBe(KEY_CHECK_TEXT);
    expect(await checkKey(store, createCipher(KEY_A))).toBe(true);
    expect(await checkKey(store, createCipher(KEY_B))).toBe(false);
    expect(await store.getKeyCheck()).toBe(sealed);
  });

  it("on a store from before the check, tries the key on its sealed rows before sealing the check", async () => {
    const { store } = await sqlite();
    const ws = await store.createWorkspace(
      { name: "Shop", currency: "USD", timezone: "UTC" },
      { publicKey: `pk_${newId("k")}`, secretKeyHash: newId("h") },
      standardActions(),
    );
    await store.createDestination({
      id: newId("dst"),
      workspaceId: ws.id,
      type: "webhook",
      name: "hook",
      events: null,
      configEnc: createCipher(KEY_A).encrypt('{"url":"https://hooks.example.com"}'),
      createdAt: Date.now(),
    });
    expect(await checkKey(store, createCipher(KEY_B))).toBe(false);
    expect(await store.getKeyCheck()).toBeNull(); // the wrong key claimed nothing
    expect(await checkKey(store, createCipher(KEY_A))).toBe(true);
    expect(await checkKey(store, createCipher(KEY_B))).toBe(false);
  });
});

describe("unlockStore", () => {
  it("gives the cipher when the key opens the store", async () => {
    const { store } = await sqlite();
    const cipher = await unlockStore(store, KEY_A, source());
    expect(cipher.decrypt(cipher.encrypt("x"))).toBe("x");
  });

  it.each([
    [
      "a node of a shared database with another TALLY_ENCRYPTION_KEY",
      source({ shared: true }),
      [
        "cannot read the database's encrypted rows",
        "This node uses TALLY_ENCRYPTION_KEY",
        "Nodes sharing a database need the same TALLY_ENCRYPTION_KEY",
      ],
    ],
    [
      "a node of a shared database without TALLY_ENCRYPTION_KEY",
      source({ shared: true, fromEnvironment: false }),
      [
        "TALLY_ENCRYPTION_KEY is not set, so this node used the key in /data/encryption.key, generated for its own data folder",
        "Nodes sharing a database need the same TALLY_ENCRYPTION_KEY",
      ],
    ],
    [
      "TALLY_ENCRYPTION_KEY differing from the key file that sealed the store",
      source({ otherKey: KEY_A }),
      [
        "cannot read this store's encrypted rows",
        "The key in /data/encryption.key opens the store: unset TALLY_ENCRYPTION_KEY, or set it to that file's key",
      ],
    ],
    [
      "a key file that is not the store's",
      source({ fromEnvironment: false }),
      ["TALLY_ENCRYPTION_KEY is not set, so this node used the key in /data/encryption.key."],
    ],
  ])("refuses %s with a message saying what to do", async (_what, src, phrases) => {
    const { store } = await sqlite();
    await unlockStore(store, KEY_A, source());
    const err = await unlockStore(store, KEY_B, src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const p of phrases) expect(message).toContain(p);
    expect(message).not.toContain(KEY_A);
    expect(message).not.toContain(KEY_B);
  });

  it("does not name the key file when it does not open the store either", async () => {
    const { store } = await sqlite();
    await unlockStore(store, KEY_A, source());
    const err = (await unlockStore(store, KEY_B, source({ otherKey: "c3".repeat(32) })).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).not.toContain("opens the store");
  });

  it("refuses a key of the wrong form as a ConfigError naming where it came from", async () => {
    const { store } = await sqlite();
    await expect(unlockStore(store, "abc", source({ fromEnvironment: false }))).rejects.toThrow(
      "the key in /data/encryption.key must be 64 hex characters",
    );
  });
});

describe("keySourceOf", () => {
  it("reads the data folder's key only when TALLY_ENCRYPTION_KEY is set and differs", async () => {
    const { dir } = await sqlite();
    expect(keySourceOf(dir, null, false)).toMatchObject({ fromEnvironment: false, otherKey: null });
    expect(keySourceOf(dir, KEY_B, true)).toMatchObject({
      fromEnvironment: true,
      otherKey: null,
      shared: true,
    });
    writeFileSync(join(dir, "encryption.key"), `${KEY_A}\n`);
    expect(keySourceOf(dir, KEY_B, false).otherKey).toBe(KEY_A);
    expect(keySourceOf(dir, KEY_A.toUpperCase(), false).otherKey).toBeNull();
  });
});
