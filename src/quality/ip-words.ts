/**
 * IP text → numbers, fast: the quality decision runs for every click and conversion, and a
 * general parser (ipaddr.js) costs ~2 µs an address where these take a tenth of that. Strict:
 * dotted-quad IPv4 only (no `1`, `0x7f.1`, leading zeros), RFC 4291 IPv6 text (with `::`, an
 * embedded IPv4 tail, a `%zone` suffix ignored); anything else is not an address.
 */

/** An IPv4 address as an unsigned 32-bit number, or -1 when `s` is not one. */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero ("01") is octal to some parsers and decimal to others: refuse it.
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return (value * 256 + part) >>> 0;
}

/** Scratch space for the groups of one address (the parser is synchronous). */
const GROUPS = new Array<number>(8).fill(0);

/**
 * An IPv6 address into `out` as four big-endian 32-bit words; false when `s` is not one
 * (then `out` holds garbage). An IPv4-mapped address (`::ffff:203.0.113.9`) parses as IPv6.
 */
export function parseIpv6(s: string, out: Uint32Array): boolean {
  let end = s.indexOf("%");
  if (end === -1) end = s.length;
  if (end < 2) return false;
  const groups = GROUPS;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === end) {
      out.fill(0);
      return true;
    }
  }
  for (;;) {
    let v = 0;
    let digits = 0;
    const groupStart = i;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      if (++digits > 4) return false;
      v = v * 16 + d;
    }
    if (i < end && s.charCodeAt(i) === 46) {
      // An IPv4 tail takes the last two groups.
      const v4 = parseIpv4(s, groupStart, end);
      if (v4 < 0 || n > 6) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0) return false;
    if (n === 8) return false;
    groups[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap !== -1) return false;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) return false;
  }
  if (gap === -1 ? n !== 8 : n > 7) return false;
  const fill = 8 - n;
  let w = 0;
  for (let g = 0; g < 8; g++) {
    let v: number;
    if (gap === -1 || g < gap) v = groups[g]!;
    else if (g < gap + fill) v = 0;
    else v = groups[g - fill]!;
    if (g % 2 === 0) w = v;
    else out[g >> 1] = ((w << 16) | v) >>> 0;
  }
  return true;
}

/** Whether the parsed IPv6 words are an IPv4-mapped address (`::ffff:a.b.c.d`). */
export function isMappedIpv4(words: Uint32Array): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}
