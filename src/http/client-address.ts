/**
 * Who the client is, for per-client limits: the request's address (`req.ip`: the socket's
 * address, or the client named in `X-Forwarded-For` when the socket is a trusted proxy, see
 * `TALLY_TRUST_PROXY`), reduced to the unit one client controls. An IPv6 client gets a whole
 * /64 from its provider and can rotate through it at will, so every address of one /64 counts
 * as one client; an IPv4 address (and an IPv4-mapped IPv6 one) counts alone.
 */
import ipaddr from "ipaddr.js";
import type { FastifyRequest } from "fastify";

/** The throttling key of an address: `203.0.113.9`, or `2001:db8:1:2::/64`. */
export function clientKey(ip: string | undefined): string {
  if (!ip) return "unknown";
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    // Not an address (an odd X-Forwarded-For entry from a trusted proxy): bounded, never an error.
    return `?${ip.slice(0, 64)}`;
  }
  if (addr.kind() === "ipv6") {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    const parts = v6.parts.slice(0, 4).map((p) => p.toString(16));
    return `${parts.join(":")}::/64`;
  }
  return addr.toString();
}

/** The request's client address as an IP string (IPv4-mapped IPv6 shown as IPv4). */
export function clientIp(req: FastifyRequest): string | null {
  const ip = req.ip;
  if (!ip) return null;
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/**
 * Parses `TALLY_TRUST_PROXY`: a comma-separated list of addresses and CIDR ranges of the
 * proxies in front of Tally (and proxy-addr's names `loopback`, `linklocal`, `uniquelocal`).
 */
export function parseTrustedProxies(raw: string): string[] {
  const names = new Set(["loopback", "linklocal", "uniquelocal"]);
  const list = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error("list the proxies' addresses, e.g. 127.0.0.1,10.0.0.0/8");
  for (const entry of list) {
    if (names.has(entry)) continue;
    // IPv4 in the four-part dotted form only: "1" is an address to ipaddr.js (0.0.0.1), and a
    // leftover TALLY_TRUST_PROXY=1 from the boolean days must not pass for one.
    const ok = entry.includes("/")
      ? ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry)
      : ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
    if (!ok)
      throw new Error(
        `"${entry}" is not an address or CIDR range; list the proxies' addresses, e.g. 127.0.0.1,10.0.0.0/8 (or loopback)`,
      );
  }
  return list;
}
