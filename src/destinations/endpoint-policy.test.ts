import type { LookupAddress, LookupOptions } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  EndpointRefusedError,
  createEndpointPolicy,
  isPublicAddress,
  type Resolve,
} from "./endpoint-policy.js";

/** A resolver from a table: no DNS query leaves the process. Unknown names do not resolve. */
function table(entries: Record<string, string[]>): Resolve & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (host: string): Promise<LookupAddress[]> => {
    asked.push(host);
    const list = entries[host];
    if (!list) return Promise.reject(Object.assign(new Error(`${host} not found`), { code: "ENOTFOUND" }));
    return Promise.resolve(list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));
  };
  return Object.assign(resolve, { asked });
}

const NAMES = table({
  "hooks.public.test": ["93.184.216.34"],
  "dual.public.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
  "internal.test": ["10.1.2.3"],
  "metadata.test": ["169.254.169.254"],
  "mixed.test": ["93.184.216.34", "192.168.1.10"],
  "v6-ula.test": ["fd12:3456::1"],
  "loopback.test": ["127.0.0.1"],
});

describe("isPublicAddress", () => {
  it.each([
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:2800:220:1:248:1893:25c8:1946",
    "2a00:1450:4001:80b::200e",
    "::ffff:93.184.216.34",
  ])("%s is public", (ip) => expect(isPublicAddress(ip)).toBe(true));

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "this network"],
    ["0.1.2.3", "this network"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["169.254.169.254", "link-local: the cloud metadata service"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["192.0.0.170", "IETF protocol assignments"],
    ["192.0.2.1", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["::1", "IPv6 loopback"],
    ["::", "IPv6 unspecified"],
    ["fd00::1", "unique local"],
    ["fc00::1", "unique local"],
    ["fe80::1", "IPv6 link-local"],
    ["ff02::1", "IPv6 multicast"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:169.254.169.254", "IPv4-mapped metadata"],
    ["::ffff:10.0.0.1", "IPv4-mapped private"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["64:ff9b::a00:1", "NAT64 of a private address"],
    ["2002:a00:1::1", "6to4 of a private address"],
    ["2001:db8::1", "documentation"],
    ["2001::1", "teredo"],
    ["not an ip", "not an address"],
  ])("%s is not public (%s)", (ip) => expect(isPublicAddress(ip)).toBe(false));
});

describe("check, when a URL is configured", () => {
  const policy = createEndpointPolicy({ allowPrivate: false, resolve: NAMES });

  it.each([
    ["http://hooks.public.test/x", "https://"],
    ["ftp://hooks.public.test/x", "https://"],
    ["https://127.0.0.1/", "private, loopback or reserved IP"],
    ["https://2130706433/", "private, loopback or reserved IP"], // decimal 127.0.0.1
    ["https://0x7f000001/", "private, loopback or reserved IP"], // hex
    ["https://017700000001/", "private, loopback or reserved IP"], // octal
    ["https://0x7f.1/", "private, loopback or reserved IP"], // mixed short form
    ["https://127.1/", "private, loopback or reserved IP"],
    ["https://0.0.0.0/", "private, loopback or reserved IP"],
    ["https://0/", "private, loopback or reserved IP"],
    ["https://169.254.169.254/latest/meta-data/", "private, loopback or reserved IP"],
    ["https://[::1]/", "private, loopback or reserved IP"],
    ["https://[::]/", "private, loopback or reserved IP"],
    ["https://[::ffff:127.0.0.1]/", "private, loopback or reserved IP"],
    ["https://[::ffff:a9fe:a9fe]/", "private, loopback or reserved IP"],
    ["https://[fd00::1]:8443/", "private, loopback or reserved IP"],
    ["https://[fe80::1]/", "private, loopback or reserved IP"],
    ["https://100.64.0.1/", "private, loopback or reserved IP"],
    ["https://10.0.0.1/", "private, loopback or reserved IP"],
    ["https://192.168.1.1:8080/", "private, loopback or reserved IP"],
    ["https://8.8.8.8/", "an IP address, not a host name"],
    ["https://localhost/", "names this machine"],
    ["https://LOCALHOST./", "names this machine"],
    ["https://api.localhost/", "names this machine"],
    ["https://internal.test/", "resolves to a private"],
    ["https://metadata.test/", "resolves to a private"],
    ["https://mixed.test/", "resolves to a private"],
    ["https://v6-ula.test/", "resolves to a private"],
    ["https://loopback.test:9999/", "resolves to a private"],
    ["not a url", "absolute URL"],
  ])("refuses %s", async (url, why) => {
    const v = await policy.check(url);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain(why);
  });

  it.each(["https://hooks.public.test/tally", "https://dual.public.test:8443/x?y=1", "https://later.test/"])(
    "accepts %s (public, or not resolving yet)",
    async (url) => expect(await policy.check(url)).toEqual({ ok: true }),
  );

  it("never resolves an IP literal or a local name", async () => {
    const names = table({});
    const p = createEndpointPolicy({ allowPrivate: false, resolve: names });
    await p.check("https://2130706433/");
    await p.check("https://localhost/");
    await p.check("https://[::1]/");
    expect(names.asked).toEqual([]);
  });

  it("takes a name whose lookup hangs as not resolving yet", async () => {
    const hang: Resolve = () => new Promise<LookupAddress[]>(() => {});
    const p = createEndpointPolicy({ allowPrivate: false, resolve: hang, resolveTimeoutMs: 20 });
    expect(await p.check("https://slow.test/")).toEqual({ ok: true });
  });

  it("with private endpoints allowed, takes http:// and any address without resolving", async () => {
    const names = table({});
    const p = createEndpointPolicy({ allowPrivate: true, resolve: names });
    for (const url of [
      "http://127.0.0.1:8080/",
      "https://[::1]/",
      "http://internal.test/",
      "http://localhost/",
    ])
      expect(await p.check(url)).toEqual({ ok: true });
    expect(await p.check("ftp://127.0.0.1/")).toMatchObject({ ok: false });
    expect(names.asked).toEqual([]);
  });
});

/** Calls the net `lookup` hook the way net.connect does. */
function connectLookup(
  lookup: ReturnType<typeof createEndpointPolicy>["lookup"],
  host: string,
  options: LookupOptions,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((done) =>
    lookup(host, options, (err, address, family) => done({ err, address, family })),
  );
}

describe("lookup, each time a connection is opened", () => {
  it("refuses a name that now resolves to an internal address (DNS rebinding)", async () => {
    let answer = "93.184.216.34";
    const rebinding: Resolve = () => Promise.resolve([{ address: answer, family: 4 }]);
    const policy = createEndpointPolicy({ allowPrivate: false, resolve: rebinding });
    expect(await policy.check("https://rebind.test/")).toEqual({ ok: true });
    expect(await connectLookup(policy.lookup, "rebind.test", { all: true })).toMatchObject({
      err: null,
      address: [{ address: "93.184.216.34", family: 4 }],
    });
    answer = "127.0.0.1";
    const r = await connectLookup(policy.lookup, "rebind.test", { all: true });
    expect(r.err).toBeInstanceOf(EndpointRefusedError);
    expect(r.err?.message).toContain("rebind.test resolved to a private, loopback or reserved address");
    expect(r.err?.message).not.toContain("127.0.0.1");
  });

  it("refuses when any address of the name is internal, whatever family is asked for", async () => {
    const policy = createEndpointPolicy({ allowPrivate: false, resolve: NAMES });
    const r = await connectLookup(policy.lookup, "mixed.test", { family: 4 });
    expect(r.err).toBeInstanceOf(EndpointRefusedError);
  });

  it("answers one address or all, filtered by family, for a public name", async () => {
    const policy = createEndpointPolicy({ allowPrivate: false, resolve: NAMES });
    expect(await connectLookup(policy.lookup, "dual.public.test", { family: 6 })).toMatchObject({
      err: null,
      address: "2606:2800:220:1:248:1893:25c8:1946",
      family: 6,
    });
    expect(await connectLookup(policy.lookup, "dual.public.test", { all: true })).toMatchObject({
      address: [{ family: 4 }, { family: 6 }],
    });
  });

  it("passes resolver errors on as they are", async () => {
    const policy = createEndpointPolicy({ allowPrivate: false, resolve: NAMES });
    const r = await connectLookup(policy.lookup, "nowhere.test", {});
    expect(r.err?.code).toBe("ENOTFOUND");
  });

  it("with private endpoints allowed, connects to what the name resolves to", async () => {
    const policy = createEndpointPolicy({ allowPrivate: true, resolve: NAMES });
    expect(await connectLookup(policy.lookup, "loopback.test", {})).toMatchObject({
      err: null,
      address: "127.0.0.1",
      family: 4,
    });
  });
});

describe("checkStatic, before every request", () => {
  it("refuses what needs no DNS to refuse, and leaves names to the lookup", () => {
    const names = table({ "internal.test": ["10.1.2.3"] });
    const policy = createEndpointPolicy({ allowPrivate: false, resolve: names });
    expect(policy.checkStatic("http://hooks.public.test/")).toMatchObject({ ok: false });
    expect(policy.checkStatic("https://127.0.0.1:9/")).toMatchObject({ ok: false });
    expect(policy.checkStatic("https://localhost/")).toMatchObject({ ok: false });
    expect(policy.checkStatic("https://internal.test/")).toEqual({ ok: true });
    expect(names.asked).toEqual([]);
  });
});
