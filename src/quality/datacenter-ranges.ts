/**
 * The cloud providers' ranges as kept in the data folder (`datacenter-ranges.json`, written by
 * `tally quality refresh-ranges`) and loaded at start into one matcher. No file, or a file
 * that cannot be read, means no list: the `datacenter_ip` flag is then never set — a missing
 * list must not flag anyone.
 *
 * The file holds each provider's CIDR strings with where and when they were fetched:
 *
 * ```json
 * {"version": 1, "providers": {"aws": {"url": "https://…/ip-ranges.json",
 *   "fetched_at": "2026-11-29T14:33:31.123Z", "published": "1764425012", "cidrs": ["3.5.140.0/22", …]}}}
 * ```
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CidrMatcher } from "./cidr-matcher.js";
import { PROVIDERS, type Provider } from "./range-formats.js";

export const RANGES_FILE = "datacenter-ranges.json";

export interface StoredProviderRanges {
  url: string;
  fetched_at: string;
  published: string | null;
  cidrs: string[];
}

export interface RangesFile {
  version: 1;
  providers: Partial<Record<Provider, StoredProviderRanges>>;
}

export interface LoadedRanges {
  /** Null when no list is loaded: the flag is never set. */
  matcher: CidrMatcher | null;
  /** What was loaded, per provider (for the start-up log and `tally quality refresh-ranges`). */
  providers: { provider: Provider; ranges: number; fetched_at: string }[];
  /** Why nothing was loaded when a file exists but could not be read. */
  problem: string | null;
}

export function rangesPath(dataDir: string): string {
  return join(dataDir, RANGES_FILE);
}

function isStored(v: unknown): v is StoredProviderRanges {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.url === "string" &&
    typeof r.fetched_at === "string" &&
    Array.isArray(r.cidrs) &&
    r.cidrs.every((c) => typeof c === "string")
  );
}

/** The file as kept, or null when there is none; throws with a reason when it is unreadable. */
export function readRangesFile(dataDir: string): RangesFile | null {
  let text: string;
  try {
    text = readFileSync(rangesPath(dataDir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== "object" || doc === null || (doc as RangesFile).version !== 1)
    throw new Error(`${RANGES_FILE} is not a version 1 ranges file`);
  const providers: RangesFile["providers"] = {};
  const raw = (doc as RangesFile).providers ?? {};
  for (const p of PROVIDERS) {
    const entry = raw[p];
    if (entry !== undefined && isStored(entry)) providers[p] = entry;
  }
  return { version: 1, providers };
}

/** Writes the file whole or not at all (a temporary file renamed over it). */
export function writeRangesFile(dataDir: string, file: RangesFile): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = rangesPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file), { mode: 0o644 });
  renameSync(tmp, path);
}

/** Builds the matcher from a ranges file (null when it holds no range). */
export function matcherOf(file: RangesFile | null): CidrMatcher | null {
  if (!file) return null;
  const all: string[] = [];
  for (const p of PROVIDERS) for (const c of file.providers[p]?.cidrs ?? []) all.push(c);
  return all.length > 0 ? CidrMatcher.from(all) : null;
}

/** Loads the data folder's ranges at start; never throws (an unreadable file loads nothing). */
export function loadDatacenterRanges(dataDir: string): LoadedRanges {
  let file: RangesFile | null;
  try {
    file = readRangesFile(dataDir);
  } catch (err) {
    return { matcher: null, providers: [], problem: (err as Error).message };
  }
  const providers = PROVIDERS.flatMap((p) => {
    const e = file?.providers[p];
    return e ? [{ provider: p, ranges: e.cidrs.length, fetched_at: e.fetched_at }] : [];
  });
  return { matcher: matcherOf(file), providers, problem: null };
}
