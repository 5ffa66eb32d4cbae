/**
 * AES-256-GCM for what must be stored but never readable from the store alone: client IPs
 * kept for forwarding, destination secrets. The key lives apart from the rows (environment or
 * a 0600 file in the data folder), so a copied database leaks neither.
 */
import { createCipheriv, createDecipheriv, createSecretKey } from "node:crypto";
import { pooledRandomBytes } from "../domain/random-pool.js";

export interface Cipher {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export function createCipher(keyHex: string): Cipher {
  const raw = Buffer.from(keyHex, "hex");
  if (raw.length !== 32 || !/^[0-9a-fA-F]{64}$/.test(keyHex))
    throw new Error("the encryption key must be 32 bytes (64 hex characters)");
  // One KeyObject: building key material on every call costs ~20 µs on the forwarding path.
  const key = createSecretKey(raw);
  return {
    encrypt(plain: string): string {
      // A fresh random 96-bit nonce per message, from the pooled CSPRNG bytes.
      const iv = pooledRandomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
      return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString("base64url")}`;
    },
    decrypt(sealed: string): string {
      if (!sealed.startsWith("v1.")) throw new Error("unknown sealed format");
      const raw = Buffer.from(sealed.slice(3), "base64url");
      const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
    },
  };
}
