import { isIP } from "node:net";

/** The network part of an IP address: /24 for IPv4, /48 for IPv6. Null when not an IP. */
export function truncateIp(ip: string): string | null {
  const v = isIP(ip);
  if (v === 4) return ip.split(".").slice(0, 3).join(".") + ".0";
  if (v === 6) {
    const full = expandIpv6(ip);
    return full ? full.slice(0, 3).join(":") + "::" : null;
  }
  return null;
}

function expandIpv6(ip: string): string[] | null {
  const [head, tail] = ip.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  if (t.some((p) => p.includes("."))) return null;
  const fill = 8 - h.length - t.length;
  if (fill < 0) return null;
  return [...h, ...new Array<string>(tail === undefined ? 0 : fill).fill("0"), ...t].map((p) => p.toLowerCase().replace(/^0+(?=.)/, ""));
}

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}
