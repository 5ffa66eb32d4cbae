/**
 * Is this address in any of these ranges? Built once from CIDR strings (a few tens of
 * thousands for the cloud providers), asked for every click and conversion. The ranges are
 * merged into sorted, disjoint intervals — IPv4 as 32-bit numbers, IPv6 as four 32-bit words
 * — so a lookup is one binary search over typed arrays: no allocation, no string work beyond
 * parsing the address.
 *
 * @example
 * const m = CidrMatcher.from(["3.5.140.0/22", "2600:1f14::/35"]);
 * m.has("3.5.141.7"); // true
 * m.has("2600:1f14:0:1::5"); // true
 * m.has("::ffff:3.5.141.7"); // true (an IPv4-mapped address is looked up as IPv4)
 * m.has("not an ip"); // false
 */
import { isMappedIpv4, parseIpv4, parseIpv6 } from "./ip-words.js";

const WORDS = new Uint32Array(4);

/** A CIDR string as its first and last address, or null when it is not a CIDR range. */
export type ParsedCidr =
  { kind: 4; first: number; last: number } | { kind: 6; first: Uint32Array; last: Uint32Array };

export function parseCidr(cidr: string): ParsedCidr | null {
  const slash = cidr.indexOf("/");
  const addr = slash === -1 ? cidr : cidr.slice(0, slash);
  const bitsText = slash === -1 ? null : cidr.slice(slash + 1);
  if (bitsText !== null && !/^\d{1,3}$/.test(bitsText)) return null;
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    const bits = bitsText === null ? 32 : Number(bitsText);
    if (bits > 32) return null;
    const hostMask = bits === 0 ? 0xffffffff : bits === 32 ? 0 : 0xffffffff >>> bits;
    const first = (v4 & ~hostMask) >>> 0;
    return { kind: 4, first, last: (first | hostMask) >>> 0 };
  }
  const w = new Uint32Array(4);
  if (!parseIpv6(addr, w)) return null;
  const bits = bitsText === null ? 128 : Number(bitsText);
  if (bits > 128) return null;
  const first = new Uint32Array(4);
  const last = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, bits - i * 32));
    const hostMask = keep === 0 ? 0xffffffff : keep === 32 ? 0 : 0xffffffff >>> keep;
    first[i] = (w[i]! & ~hostMask) >>> 0;
    last[i] = (first[i]! | hostMask) >>> 0;
  }
  return { kind: 6, first, last };
}

/** -1, 0, 1: how the 4 words of `a` at `ai` compare with those of `b` at `bi`. */
function cmp6(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const x = a[ai + k]!;
    const y = b[bi + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export class CidrMatcher {
  private constructor(
    private readonly v4First: Uint32Array,
    private readonly v4Last: Uint32Array,
    /** 4 words per interval. */
    private readonly v6First: Uint32Array,
    private readonly v6Last: Uint32Array,
    /** Strings given that were not CIDR ranges or addresses (left out). */
    readonly skipped: number,
  ) {}

  /** Builds a matcher; strings that are not CIDR ranges (or addresses) are left out and counted. */
  static from(cidrs: Iterable<string>): CidrMatcher {
    const v4: [number, number][] = [];
    const v6: [Uint32Array, Uint32Array][] = [];
    let skipped = 0;
    for (const c of cidrs) {
      const r = parseCidr(c.trim());
      if (!r) skipped++;
      else if (r.kind === 4) v4.push([r.first, r.last]);
      else if (isMappedIpv4(r.first) && isMappedIpv4(r.last)) v4.push([r.first[3]!, r.last[3]!]);
      else v6.push([r.first, r.last]);
    }
    // Sorted by start, overlapping or touching intervals merged: the search needs disjoint ones.
    v4.sort((a, b) => a[0] - b[0]);
    const f4: number[] = [];
    const l4: number[] = [];
    for (const [first, last] of v4) {
      const n = f4.length;
      if (n > 0 && first <= l4[n - 1]! + 1) l4[n - 1] = Math.max(l4[n - 1]!, last);
      else {
        f4.push(first);
        l4.push(last);
      }
    }
    v6.sort((a, b) => cmp6(a[0], 0, b[0], 0));
    const f6: Uint32Array[] = [];
    const l6: Uint32Array[] = [];
    for (const [first, last] of v6) {
      const n = f6.length;
      if (n > 0 && cmp6(first, 0, l6[n - 1]!, 0) <= 0) {
        if (cmp6(last, 0, l6[n - 1]!, 0) > 0) l6[n - 1] = last;
      } else {
        f6.push(first);
        l6.push(last);
      }
    }
    const pack = (xs: Uint32Array[]) => {
      const out = new Uint32Array(xs.length * 4);
      xs.forEach((x, i) => out.set(x, i * 4));
      return out;
    };
    return new CidrMatcher(Uint32Array.from(f4), Uint32Array.from(l4), pack(f6), pack(l6), skipped);
  }

  /** How many disjoint intervals remain after merging, per family. */
  get size(): { v4: number; v6: number } {
    return { v4: this.v4First.length, v6: this.v6First.length / 4 };
  }

  /** Whether `ip` (IPv4 or IPv6 text) is in one of the ranges; false for anything else. */
  has(ip: string): boolean {
    const v4 = parseIpv4(ip);
    if (v4 >= 0) return this.has4(v4);
    if (!parseIpv6(ip, WORDS)) return false;
    if (isMappedIpv4(WORDS)) return this.has4(WORDS[3]!);
    return this.has6(WORDS);
  }

  private has4(ip: number): boolean {
    const first = this.v4First;
    // The last interval starting at or before ip.
    let lo = 0;
    let hi = first.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (first[mid]! <= ip) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && ip <= this.v4Last[found]!;
  }

  private has6(ip: Uint32Array): boolean {
    const first = this.v6First;
    let lo = 0;
    let hi = first.length / 4 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp6(first, mid * 4, ip, 0) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && cmp6(ip, 0, this.v6Last, found * 4) <= 0;
  }
}
