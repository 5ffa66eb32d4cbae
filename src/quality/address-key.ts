/**
 * The client address as the quality counters see it: an opaque key, an HMAC-SHA-256 of the
 * unit one client controls — an IPv4 address, or the /64 of an IPv6 address (a provider hands
 * each customer a whole /64, and rotating through it is free). The address itself is never
 * kept, stored or logged; only this key is counted. The HMAC key is derived from the
 * encryption key (HKDF), so every node of one database (which share the encryption key) gives
 * one address the same key and counts its floods together, while a copied database cannot
 * tell which address a key stands for without the encryption key.
 *
 * @example
 * const keyOf = createAddressKeyer(addressKeySecret(encryptionKeyHex));
 * keyOf("203.0.113.9");          // "a:Q2xY…" (22 characters after the prefix)
 * keyOf("2001:db8:1:2::5") === keyOf("2001:db8:1:2:ffff::1"); // true: one /64
 * keyOf("::ffff:203.0.113.9") === keyOf("203.0.113.9");       // true
 * keyOf("not an address");       // null
 */
import { createHmac, hkdfSync, type KeyObject, createSecretKey } from "node:crypto";
import { isMappedIpv4, parseIpv4, parseIpv6 } from "./ip-words.js";

/** The HMAC key for address keys, derived from the 32-byte encryption key (64 hex characters). */
export function addressKeySecret(encryptionKeyHex: string): KeyObject {
  const ikm = Buffer.from(encryptionKeyHex, "hex");
  if (ikm.length !== 32) throw new Error("the encryption key must be 32 bytes (64 hex characters)");
  return createSecretKey(
    Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), "tally quality address key v1", 32)),
  );
}

export type AddressKeyer = (ip: string | null | undefined) => string | null;

export function createAddressKeyer(secret: KeyObject): AddressKeyer {
  const words = new Uint32Array(4);
  // 1 byte of family, then 4 bytes (IPv4) or 8 bytes (the /64): one buffer, reused.
  const v4 = Buffer.alloc(5);
  v4[0] = 4;
  const v6 = Buffer.alloc(9);
  v6[0] = 6;
  const mac = (b: Buffer) =>
    "a:" + createHmac("sha256", secret).update(b).digest().toString("base64url", 0, 16);
  return (ip) => {
    if (!ip) return null;
    const n = parseIpv4(ip);
    if (n >= 0) {
      v4.writeUInt32BE(n, 1);
      return mac(v4);
    }
    if (!parseIpv6(ip, words)) return null;
    if (isMappedIpv4(words)) {
      v4.writeUInt32BE(words[3]!, 1);
      return mac(v4);
    }
    v6.writeUInt32BE(words[0]!, 1);
    v6.writeUInt32BE(words[1]!, 5);
    return mac(v6);
  };
}
