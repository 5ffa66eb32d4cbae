/**
 * Attribution: which touches may take credit for a conversion, and how the five models share
 * it. Pure functions over plain values (no I/O, no Node built-ins) so the store can run them
 * inside its write transaction, and tests can run them on literals. docs/attribution.md
 * explains the rules to users.
 */

export { applyModel, TIME_DECAY_HALF_LIFE_MS } from "./apply-model.js";
export { attributeAll } from "./attribute-all.js";
export { CLICK_ID_KINDS, platformForClickIdKind, type ClickIdKind } from "./click-ids.js";
export { compareTouches, DAY_MS, eligibleTouches, MAX_ELIGIBLE_TOUCHES } from "./eligible-touches.js";
export {
  aggregateReport,
  GROUP_BYS,
  isGroupBy,
  NONE_KEY,
  type AttributedConversion,
  type AttributionReport,
  type GroupBy,
  type ReportOptions,
  type ReportTotals,
} from "./report.js";
export {
  DEFAULT_MODEL,
  isModelName,
  MODELS,
  type Credit,
  type ModelName,
  type Touch,
  type Windows,
} from "./types.js";
