/**
 * The encryption key must be the one that sealed the store. A node started with another key
 * (no `TALLY_ENCRYPTION_KEY` on a node of a shared database, so it generated its own; or a
 * data folder whose key file and `TALLY_ENCRYPTION_KEY` disagree) could open none of the
 * destination secrets and client IPs it finds, and would forward nothing of theirs without
 * an error anyone sees. So the store keeps one value sealed with the key at its first start,
 * every start opens it, and a key that cannot refuses to start with a message saying which
 * key was used and what to do. A store from before the check is tested on a few of its sealed
 * rows before the check value is written, so a wrong first key cannot claim it.
 */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../config/config.js";
import type { Store } from "../storage/storage.js";
import { createCipher, type Cipher } from "./cipher.js";
import { encryptionKeyFile } from "./secrets.js";

/** The plain text of the check value. */
export const KEY_CHECK_TEXT = "tally key check v1";
/** How many stored sealed values a key is tried on when the store has no check value yet. */
const SAMPLES = 20;

export type KeyStore = Pick<Store, "getKeyCheck" | "initKeyCheck" | "sealedSamples">;

/** Where the key in use came from, for a message that says what to change. */
export interface KeySource {
  /** `TALLY_ENCRYPTION_KEY` was set (else the key file of the data folder was used). */
  fromEnvironment: boolean;
  keyFile: string;
  /** The key file's key when there is one and it is not the key in use. */
  otherKey: string | null;
  /** Several nodes may share the store (PostgreSQL). */
  shared: boolean;
}

export function keySourceOf(dataDir: string, envKey: string | null, shared: boolean): KeySource {
  const keyFile = encryptionKeyFile(dataDir);
  let fileKey: string | null = null;
  if (envKey !== null && existsSync(keyFile)) fileKey = readFileSync(keyFile, "utf8").trim();
  return {
    fromEnvironment: envKey !== null,
    keyFile,
    otherKey: fileKey !== null && fileKey.toLowerCase() !== envKey?.toLowerCase() ? fileKey : null,
    shared,
  };
}

function opens(cipher: Cipher, sealed: string, text?: string): boolean {
  try {
    const plain = cipher.decrypt(sealed);
    return text === undefined || plain === text;
  } catch {
    return false;
  }
}

/** Whether `cipher` opens the store, without writing anything. */
async function opensStore(store: KeyStore, cipher: Cipher): Promise<boolean> {
  const check = await store.getKeyCheck();
  if (check !== null) return opens(cipher, check, KEY_CHECK_TEXT);
  const samples = await store.sealedSamples(SAMPLES);
  return samples.length === 0 || samples.some((s) => opens(cipher, s));
}

/**
 * Whether the key opens the store; seals the check value with it when the store has none
 * (first start), unless the store already holds sealed rows the key cannot open. Two nodes
 * starting together on a new database: the first check value written wins.
 *
 * @example
 * await checkKey(store, createCipher(key)); // true, and later starts with another key get false
 */
export async function checkKey(store: KeyStore, cipher: Cipher, now = Date.now()): Promise<boolean> {
  if (!(await opensStore(store, cipher))) return false;
  const kept = await store.initKeyCheck(cipher.encrypt(KEY_CHECK_TEXT), now);
  return opens(cipher, kept, KEY_CHECK_TEXT);
}

function refusal(source: KeySource, otherOpens: boolean): string {
  const where = source.shared ? "the database's" : "this store's";
  const lines = [
    `the encryption key cannot read ${where} encrypted rows (destination secrets, client IPs): they were sealed with another key.`,
  ];
  if (source.fromEnvironment) {
    lines.push("This node uses TALLY_ENCRYPTION_KEY.");
    if (otherOpens)
      lines.push(
        `The key in ${source.keyFile} opens the store: unset TALLY_ENCRYPTION_KEY, or set it to that file's key.`,
      );
  } else {
    lines.push(
      `TALLY_ENCRYPTION_KEY is not set, so this node used the key in ${source.keyFile}${source.shared ? ", generated for its own data folder" : ""}.`,
    );
  }
  if (source.shared)
    lines.push(
      "Nodes sharing a database need the same TALLY_ENCRYPTION_KEY: start this node with the key the other nodes use.",
    );
  else if (!otherOpens) lines.push("Set TALLY_ENCRYPTION_KEY to the key the store was sealed with.");
  lines.push("Tally does not start with a key that cannot read what it stored.");
  return lines.join(" ");
}

/**
 * The cipher of a running Tally: the key must have the right form and open the store.
 * Throws a ConfigError (a message, no stack; the CLI exits non-zero) when it does not.
 */
export async function unlockStore(store: KeyStore, keyHex: string, source: KeySource): Promise<Cipher> {
  let cipher: Cipher;
  try {
    cipher = createCipher(keyHex);
  } catch {
    throw new ConfigError(
      `${source.fromEnvironment ? "TALLY_ENCRYPTION_KEY" : `the key in ${source.keyFile}`} must be 64 hex characters (32 bytes).`,
    );
  }
  if (await checkKey(store, cipher)) return cipher;
  let otherOpens = false;
  if (source.otherKey !== null && /^[0-9a-fA-F]{64}$/.test(source.otherKey))
    otherOpens = await opensStore(store, createCipher(source.otherKey));
  throw new ConfigError(refusal(source, otherOpens));
}
