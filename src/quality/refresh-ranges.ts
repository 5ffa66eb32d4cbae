/**
 * `tally quality refresh-ranges`: downloads each provider's published ranges from the
 * configured URLs, checks each file has its provider's shape, and writes them into the data
 * folder in one file. A provider whose download or file fails keeps the list it had (the
 * others are still updated); nothing is written when every provider failed and nothing was
 * kept. The HTTP part is injected (`fetchText`), so tests feed it from a loopback server.
 *
 * Azure publishes a new dated file every week (`ServiceTags_Public_YYYYMMDD.json`) behind a
 * download page; its URL may be that page: the first link to a ServiceTags_Public JSON file
 * in it is followed.
 */
import { readRangesFile, writeRangesFile, type RangesFile } from "./datacenter-ranges.js";
import { PROVIDERS, parseProviderRanges, type Provider } from "./range-formats.js";

export type FetchText = (url: string) => Promise<{ ok: true; text: string } | { ok: false; reason: string }>;

export interface RefreshOptions {
  dataDir: string;
  /** Each provider's URL; a provider left out (or null) is not refreshed and keeps its list. */
  urls: Partial<Record<Provider, string | null>>;
  fetchText: FetchText;
  now?: () => number;
}

export type ProviderOutcome =
  | { provider: Provider; status: "updated"; ranges: number; url: string }
  | { provider: Provider; status: "failed"; reason: string; kept: number }
  | { provider: Provider; status: "skipped"; kept: number };

const AZURE_LINK = /https?:\/\/[^"'\s<>]*ServiceTags_Public[^"'\s<>]*\.json/;

async function download(provider: Provider, url: string, fetchText: FetchText) {
  const first = await fetchText(url);
  if (!first.ok) return first;
  if (provider === "azure" && !first.text.trimStart().startsWith("{")) {
    const link = AZURE_LINK.exec(first.text)?.[0];
    if (!link)
      return { ok: false as const, reason: "the page has no link to a ServiceTags_Public JSON file" };
    const second = await fetchText(link);
    return second.ok ? { ...second, url: link } : second;
  }
  return { ...first, url };
}

export async function refreshRanges(opts: RefreshOptions): Promise<ProviderOutcome[]> {
  const now = opts.now ?? Date.now;
  let previous: RangesFile | null = null;
  try {
    previous = readRangesFile(opts.dataDir);
  } catch {
    // An unreadable file is replaced by what downloads now.
  }
  const next: RangesFile = { version: 1, providers: { ...(previous?.providers ?? {}) } };
  const outcomes: ProviderOutcome[] = [];
  for (const provider of PROVIDERS) {
    const kept = previous?.providers[provider]?.cidrs.length ?? 0;
    const url = opts.urls[provider];
    if (!url) {
      outcomes.push({ provider, status: "skipped", kept });
      continue;
    }
    const got = await download(provider, url, opts.fetchText);
    if (!got.ok) {
      outcomes.push({ provider, status: "failed", reason: got.reason, kept });
      continue;
    }
    const parsed = parseProviderRanges(provider, got.text);
    if (!parsed.ok) {
      outcomes.push({ provider, status: "failed", reason: parsed.reason, kept });
      continue;
    }
    next.providers[provider] = {
      url: got.url,
      fetched_at: new Date(now()).toISOString(),
      published: parsed.value.published,
      cidrs: parsed.value.cidrs,
    };
    outcomes.push({ provider, status: "updated", ranges: parsed.value.cidrs.length, url: got.url });
  }
  if (outcomes.some((o) => o.status === "updated")) writeRangesFile(opts.dataDir, next);
  return outcomes;
}
