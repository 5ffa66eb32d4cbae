/**
 * What a key can look like (API.md, Conventions): a public key is `pk_` and 16–64 of
 * `A-Za-z0-9_-`, a secret key `sk_` and 32–64 of them. A string of any other shape cannot be
 * a key, so it is refused before any cache or the store is consulted: no number or size of
 * made-up keys grows memory. The keys Tally makes (`newSecret("pk", 18)`: 24 characters;
 * `newSecret("sk", 32)`: 43) fit these shapes; a test keeps it so.
 */
import { randomBytes } from "node:crypto";

export const PUBLIC_KEY_SHAPE = /^pk_[A-Za-z0-9_-]{16,64}$/;
export const SECRET_KEY_SHAPE = /^sk_[A-Za-z0-9_-]{32,64}$/;

/** Bytes of entropy in a generated key (base64url: 4 characters per 3 bytes). */
export const PUBLIC_KEY_BYTES = 18;
export const SECRET_KEY_BYTES = 32;

export type KeyKind = "public" | "secret";

/** The kind of key a string is shaped as, or null when it cannot be one. */
export function keyShape(s: string): KeyKind | null {
  if (s.length > 67) return null;
  if (PUBLIC_KEY_SHAPE.test(s)) return "public";
  if (SECRET_KEY_SHAPE.test(s)) return "secret";
  return null;
}

/** Whether a string starts like a workspace key (then it is never taken for the admin token). */
export function looksLikeWorkspaceKey(s: string): boolean {
  return s.startsWith("pk_") || s.startsWith("sk_");
}

/** A new public key: `pk_` and 24 characters (18 random bytes). */
export function newPublicKey(): string {
  return `pk_${randomBytes(PUBLIC_KEY_BYTES).toString("base64url")}`;
}

/** A new secret key: `sk_` and 43 characters (32 random bytes). */
export function newSecretKey(): string {
  return `sk_${randomBytes(SECRET_KEY_BYTES).toString("base64url")}`;
}
