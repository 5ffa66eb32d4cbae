/**
 * Where Tally may send outbound HTTP (destinations today; alert channels and spend sources
 * reuse it): `https://` to a host name whose addresses are all public, unless the operator
 * allows private endpoints (`TALLY_ALLOW_PRIVATE_ENDPOINTS=1`: tests, on-premise fakes).
 *
 * A URL is checked twice. When it is configured (`check`): the scheme, an IP literal in any
 * notation (the WHATWG URL parser has already turned decimal, octal, hex and IPv4-mapped forms
 * into one canonical address), local names, and the addresses the name resolves to now (a name
 * that does not resolve yet is accepted). And each time a connection is opened (`lookup`, the
 * `lookup` option of net/tls that the HTTP client passes through): the name is resolved again
 * and the connection refused when any address is not public, so a name that points somewhere
 * internal later (DNS rebinding) never reaches it. The resolver is injectable so tests can map
 * a test name to loopback without any DNS traffic.
 *
 * Address classes come from ipaddr.js (the classifier Fastify's proxy-addr uses): an IPv4
 * address is public when it is in none of its special ranges (private, loopback, link-local
 * with 169.254.169.254, CGNAT, 0/8, multicast, reserved, documentation…); an IPv6 address
 * when it is global unicast (2000::/3) and in none of them (teredo, 6to4 and NAT64 forms,
 * which embed an IPv4 address, included); an IPv4-mapped IPv6 address is judged as its IPv4.
 */
import type { LookupAddress } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/** Every address a host name has now (like `dns.lookup(name, { all: true })`). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export type EndpointVerdict = { ok: true } | { ok: false; reason: string };

/** Thrown through the connect-time lookup: the HTTP client's error carries it as a cause. */
export class EndpointRefusedError extends Error {
  readonly code = "ENDPOINT_NOT_ALLOWED";
}

export interface EndpointPolicyOptions {
  /** `TALLY_ALLOW_PRIVATE_ENDPOINTS`: http:// and private, loopback or reserved addresses too. */
  allowPrivate: boolean;
  /** Name resolution (default: the system resolver through `dns.lookup`). */
  resolve?: Resolve;
  /** How long the check at configuration waits for DNS before taking the name as unresolved. */
  resolveTimeoutMs?: number;
}

export interface EndpointPolicy {
  readonly allowPrivate: boolean;
  /** The check when a URL is configured: scheme, literal, local names, current addresses. */
  check(url: string): Promise<EndpointVerdict>;
  /** What can be decided without DNS (scheme, IP literal, local names): before every request. */
  checkStatic(url: string): EndpointVerdict;
  /** The `lookup` of net.connect/tls.connect: resolves, and refuses non-public addresses. */
  lookup: LookupFunction;
}

const HINT = "Tally only sends to https:// URLs of public hosts (TALLY_ALLOW_PRIVATE_ENDPOINTS=1 lifts this)";

const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Whether `ip` (a literal without brackets) is a public unicast address. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.range() !== "unicast") return false;
  // Outside 2000::/3 nothing is routed on the internet (and ::/96 forms embed IPv4 addresses).
  return addr.kind() === "ipv4" || addr.match(ipaddr.parseCIDR("2000::/3"));
}

/** The host of a parsed URL without the brackets of an IPv6 literal or a trailing dot. */
function bareHost(u: URL): string {
  const h = u.hostname.toLowerCase();
  return (h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h).replace(/\.$/, "");
}

/** RFC 6761: `localhost` and its subdomains are this machine whatever DNS says. */
function isLocalName(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost");
}

function staticVerdict(raw: string, allowPrivate: boolean): EndpointVerdict & { host?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: "is not an absolute URL" };
  }
  if (u.protocol !== "https:" && !(allowPrivate && u.protocol === "http:"))
    return { ok: false, reason: `must be an https:// URL. ${HINT}.` };
  if (allowPrivate) return { ok: true };
  const host = bareHost(u);
  if (ipaddr.isValid(host)) {
    const kind = isPublicAddress(host) ? "an IP address" : "a private, loopback or reserved IP address";
    return { ok: false, reason: `is ${kind}, not a host name. ${HINT}.` };
  }
  if (isLocalName(host)) return { ok: false, reason: `names this machine (${host}). ${HINT}.` };
  return { ok: true, host };
}

/**
 * The policy for outbound URLs.
 *
 * @example
 * const policy = createEndpointPolicy({ allowPrivate: false });
 * await policy.check("https://hooks.example.com/tally"); // { ok: true } when public or not resolving yet
 * await policy.check("http://169.254.169.254/latest/meta-data"); // { ok: false, reason: "must be an https:// URL…" }
 * new Agent({ connect: { lookup: policy.lookup } }); // refuses at connect what resolves inward later
 */
export function createEndpointPolicy(opts: EndpointPolicyOptions): EndpointPolicy {
  const resolve = opts.resolve ?? systemResolve;
  const timeoutMs = opts.resolveTimeoutMs ?? 3000;
  const { allowPrivate } = opts;

  async function resolveWithin(host: string): Promise<LookupAddress[] | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((done) => {
      timer = setTimeout(() => done(null), timeoutMs);
    });
    try {
      return await Promise.race([resolve(host), late]);
    } catch {
      // ENOTFOUND, ENODATA, a failing resolver…: not resolving yet; `lookup` decides at connect.
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  const lookup: LookupFunction = (hostname, options, callback) => {
    const answer = (err: NodeJS.ErrnoException | null, list: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      if (options.all) return callback(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family);
    };
    resolve(hostname).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const list = wanted ? found.filter((a) => a.family === wanted) : found;
        if (list.length === 0) {
          const e: NodeJS.ErrnoException = new Error(`${hostname} has no address`);
          e.code = "ENOTFOUND";
          return answer(e, []);
        }
        // Every address, not only the one used: a name answering one public and one internal
        // address would otherwise reach the internal one on a retry or another family.
        if (!allowPrivate && found.some((a) => !isPublicAddress(a.address)))
          return answer(
            new EndpointRefusedError(
              `${hostname} resolved to a private, loopback or reserved address; the connection was refused. ${HINT}.`,
            ),
            [],
          );
        return answer(null, list);
      },
      (err: NodeJS.ErrnoException) => answer(err, []),
    );
  };

  return {
    allowPrivate,
    checkStatic: (url) => {
      const v = staticVerdict(url, allowPrivate);
      return v.ok ? { ok: true } : v;
    },
    async check(url) {
      const v = staticVerdict(url, allowPrivate);
      if (!v.ok || v.host === undefined) return v.ok ? { ok: true } : v;
      const found = await resolveWithin(v.host);
      // Not resolving (yet) is fine: every connection is checked again by `lookup`.
      if (found === null || found.every((a) => isPublicAddress(a.address))) return { ok: true };
      return {
        ok: false,
        reason: `names a host that resolves to a private, loopback or reserved address. ${HINT}.`,
      };
    },
    lookup,
  };
}
