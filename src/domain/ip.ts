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
  return [...h, ...new Array<string>(tail === undefined ? 0 : fill).fill("0"), ...t].map((p) =>
    p.toLowerCase().replace(/^0+(?=.)/, ""),
  );
}

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const IPV6 = /\b(?:[0-9a-f]{1,4}:){2,7}(?::?[0-9a-f]{1,4}){1,7}\b|\b(?:[0-9a-f]{1,4}:){1,7}:/gi;

/**
 * Text from the outside world (a platform's error answer may quote the request) with every
 * IP address replaced, before it is stored or logged.
 */
export function redactIps(text: string): string {
  return text
    .replace(IPV4, "[ip]")
    .replace(IPV6, (m) => (isIP(m.replace(/:$/, "")) !== 0 || m.split(":").length > 3 ? "[ip]" : m));
}
