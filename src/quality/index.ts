/**
 * Traffic quality: a decision for every accepted click and conversion — `{score, flags}` —
 * from its user agent (and the tracker's `navigator.webdriver`), its client address (as an
 * opaque HMAC key, and whether it is in a cloud provider's published ranges), the time since
 * its last attributed click, and sliding-window counters per address and identity.
 *
 * Pure logic at the core (`decide.ts`, `flags.ts`, `settings.ts`, `report.ts`), the counters
 * behind an interface (`counters.ts`; in memory in `memory-counters.ts`, in the commit
 * transaction in each store), I/O at the edge (`datacenter-ranges.ts` reads the data folder;
 * `refresh-ranges.ts` downloads through an injected fetch). See docs/quality.md.
 */
export { addressKeySecret, createAddressKeyer, type AddressKeyer } from "./address-key.js";
export { CidrMatcher } from "./cidr-matcher.js";
export type { CounterHit, QualityCounters } from "./counters.js";
export { loadDatacenterRanges, type LoadedRanges } from "./datacenter-ranges.js";
export {
  assessQuality,
  counterHits,
  countsOf,
  decideQuality,
  type Counts,
  type QualitySubject,
} from "./decide.js";
export { FLAG_WEIGHTS, QUALITY_FLAGS, scoreOf, type Quality, type QualityFlag } from "./flags.js";
export { MemoryQualityCounters } from "./memory-counters.js";
export { aggregateQualityReport, type QualityReport } from "./report.js";
export {
  DEFAULT_QUALITY_SETTINGS,
  effectiveQualitySettings,
  qualitySettingsJson,
  validateFlaggedConversions,
  validateQualityPatch,
  type FlaggedConversions,
  type QualityPatch,
  type QualitySettings,
} from "./settings.js";
export { createBotCheck, type BotCheck } from "./user-agent.js";
