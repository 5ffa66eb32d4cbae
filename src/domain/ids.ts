import { randomBytes } from "node:crypto";
import { randomByte } from "./random-pool.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lowercase

/**
 * A time-sortable id (48-bit milliseconds + 80 random bits, 26 base32 chars) with a type
 * prefix: `evt_`, `ws_`, `lnk_`, `tch_`, `dst_`, `dlv_`. Sorting ids sorts by creation time.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (let i = 0; i < 16; i++) rand += ALPHABET[randomByte() & 31];
  return `${prefix}_${time}${rand}`;
}

/**
 * The milliseconds a `newId` carries (its first 10 characters after the prefix), or null when
 * `id` is not shaped like one. Events are made with their `received_at` (normalize.ts), so an
 * event's id names its monthly partition on PostgreSQL.
 */
export function idTime(id: string): number | null {
  const at = id.indexOf("_");
  if (at < 0 || id.length !== at + 27) return null;
  let t = 0;
  for (let i = at + 1; i < at + 11; i++) {
    const d = ALPHABET.indexOf(id[i]!);
    if (d < 0) return null;
    t = t * 32 + d;
  }
  return t;
}

/** A random secret with a prefix, e.g. `sk_…` (32 bytes of entropy, base64url). */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}
