/**
 * The published address ranges of the big cloud providers, read from each one's own JSON
 * format into plain CIDR lists. Only the ranges where customers' machines live are taken: a
 * click from one of them is a rented server, not a person's browser.
 *
 * | provider | published at (default URL)                                  | ranges taken                                  |
 * | -------- | ----------------------------------------------------------- | --------------------------------------------- |
 * | aws      | ip-ranges.json: `prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix` | service `EC2` (Lambda and Fargate leave from these too) |
 * | google   | cloud.json: `prefixes[].ipv4Prefix` / `ipv6Prefix`          | all (Google Cloud customers' ranges)          |
 * | azure    | ServiceTags_Public_*.json: `values[].properties.addressPrefixes` | the `AzureCloud` tag and its regional `AzureCloud.*` tags |
 * | oracle   | public_ip_ranges.json: `regions[].cidrs[].cidr`, `regions[].ipv6_cidrs[].cidr` | all                                  |
 *
 * A file that does not have its provider's shape, or has no range at all, is refused: a
 * broken download must never replace a good list with an empty one.
 */

export const PROVIDERS = ["aws", "google", "azure", "oracle"] as const;
export type Provider = (typeof PROVIDERS)[number];

export const PROVIDER_NAMES: Record<Provider, string> = {
  aws: "Amazon Web Services",
  google: "Google Cloud",
  azure: "Microsoft Azure",
  oracle: "Oracle Cloud",
};

export interface ProviderRanges {
  provider: Provider;
  /** CIDR strings as published (IPv4 and IPv6). */
  cidrs: string[];
  /** The provider's own version or date of the list, when it gives one. */
  published: string | null;
}

export type ParsedRanges = { ok: true; value: ProviderRanges } | { ok: false; reason: string };

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function done(provider: Provider, cidrs: string[], published: string | null): ParsedRanges {
  if (cidrs.length === 0) return { ok: false, reason: `no ${PROVIDER_NAMES[provider]} range in the file` };
  return { ok: true, value: { provider, cidrs, published } };
}

function aws(doc: Rec): ParsedRanges {
  if (!Array.isArray(doc.prefixes)) return { ok: false, reason: "no `prefixes` list (not ip-ranges.json)" };
  const cidrs: string[] = [];
  for (const p of doc.prefixes)
    if (isRec(p) && p.service === "EC2" && str(p.ip_prefix)) cidrs.push(p.ip_prefix as string);
  for (const p of list(doc.ipv6_prefixes))
    if (isRec(p) && p.service === "EC2" && str(p.ipv6_prefix)) cidrs.push(p.ipv6_prefix as string);
  return done("aws", cidrs, str(doc.syncToken) ?? str(doc.createDate));
}

function google(doc: Rec): ParsedRanges {
  if (!Array.isArray(doc.prefixes)) return { ok: false, reason: "no `prefixes` list (not cloud.json)" };
  const cidrs: string[] = [];
  for (const p of doc.prefixes) {
    if (!isRec(p)) continue;
    const c = str(p.ipv4Prefix) ?? str(p.ipv6Prefix);
    if (c) cidrs.push(c);
  }
  return done("google", cidrs, str(doc.syncToken) ?? str(doc.creationTime));
}

function azure(doc: Rec): ParsedRanges {
  if (!Array.isArray(doc.values)) return { ok: false, reason: "no `values` list (not ServiceTags_Public)" };
  const cidrs: string[] = [];
  for (const v of doc.values) {
    if (!isRec(v) || !isRec(v.properties)) continue;
    const name = str(v.name) ?? str(v.id) ?? "";
    if (name !== "AzureCloud" && !name.startsWith("AzureCloud.")) continue;
    for (const c of list(v.properties.addressPrefixes)) if (str(c)) cidrs.push(c as string);
  }
  const change = doc.changeNumber;
  return done("azure", cidrs, typeof change === "number" ? String(change) : str(change));
}

function oracle(doc: Rec): ParsedRanges {
  if (!Array.isArray(doc.regions))
    return { ok: false, reason: "no `regions` list (not public_ip_ranges.json)" };
  const cidrs: string[] = [];
  for (const r of doc.regions) {
    if (!isRec(r)) continue;
    for (const c of [...list(r.cidrs), ...list(r.ipv6_cidrs)])
      if (isRec(c) && str(c.cidr)) cidrs.push(c.cidr as string);
  }
  return done("oracle", cidrs, str(doc.last_updated_timestamp));
}

const PARSERS: Record<Provider, (doc: Rec) => ParsedRanges> = { aws, google, azure, oracle };

/** A provider's published file (its text) as CIDR strings, or why it could not be read. */
export function parseProviderRanges(provider: Provider, text: string): ParsedRanges {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (!isRec(doc)) return { ok: false, reason: "not a JSON object" };
  return PARSERS[provider](doc);
}
