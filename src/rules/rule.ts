/**
 * A rule: a condition over a trailing window of performance figures, per key of its
 * `group_by`, that raises a signal (and may apply it to the platform). This file holds the
 * shape and its parsing: `parseRule` for `POST /v1/rules`, `patchRule` for `PATCH`, each
 * naming the first wrong field. No I/O.
 */
import { isModelName, type ModelName } from "../attribution/index.js";
import { isGroupBy, type GroupBy } from "../attribution/report.js";

export const METRICS = ["cpa", "roas", "conversions", "value", "spend", "conversion_rate"] as const;
export type Metric = (typeof METRICS)[number];
export const OPS = ["<", "<=", ">", ">="] as const;
export type Op = (typeof OPS)[number];
export const SIGNALS = ["increase_budget", "decrease_budget", "pause", "notify"] as const;
export type SignalKind = (typeof SIGNALS)[number];

/** Longest trailing window: 90 days, as far back as clicks are kept for attribution. */
export const MAX_WINDOW_HOURS = 2160;
/** Longest cooldown: 30 days. */
export const MAX_COOLDOWN_MINUTES = 43_200;
/** Most rules one workspace may have. */
export const MAX_RULES_PER_WORKSPACE = 200;

export interface RuleApply {
  /** The spend source whose credentials (and account) change the campaign. */
  spend_source: string;
  /** How much one signal changes the daily budget, in percent (increase or decrease). */
  change_pct: number;
  /** Most the daily budget of one key may move in one day (workspace timezone), in percent of the day's first budget. */
  max_daily_change_pct: number;
  /** Record what would be done (the current budget is read) without changing anything. */
  dry_run: boolean;
}

export interface RuleSpec {
  name: string;
  metric: Metric;
  op: Op;
  threshold: number;
  window_hours: number;
  group_by: GroupBy;
  model: ModelName;
  min_spend: number;
  min_conversions: number;
  signal: SignalKind;
  cooldown_minutes: number;
  enabled: boolean;
  apply: RuleApply | null;
}

export interface Rule extends RuleSpec {
  id: string;
  workspaceId: string;
  createdAt: number;
  updatedAt: number;
}

export type RuleParse = { ok: true; spec: RuleSpec } | { ok: false; field: string; message: string };

class Problem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const FIELDS = [
  "name",
  "metric",
  "op",
  "threshold",
  "window_hours",
  "group_by",
  "model",
  "min_spend",
  "min_conversions",
  "signal",
  "cooldown_minutes",
  "enabled",
  "apply",
] as const;
const APPLY_FIELDS = ["spend_source", "change_pct", "max_daily_change_pct", "dry_run"] as const;

type Raw = Record<string, unknown>;

function oneOf<T extends string>(raw: Raw, key: string, values: readonly T[]): T {
  const v = raw[key];
  if (typeof v !== "string" || !(values as readonly string[]).includes(v))
    throw new Problem(key, `\`${key}\` must be one of ${values.map((x) => `"${x}"`).join(", ")}.`);
  return v as T;
}

function num(raw: Raw, key: string, opts: { min?: number; above?: number; max?: number }): number {
  const v = raw[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Problem(key, `\`${key}\` must be a number.`);
  if (opts.above !== undefined && !(v > opts.above))
    throw new Problem(key, `\`${key}\` must be greater than ${opts.above}.`);
  if (opts.min !== undefined && v < opts.min)
    throw new Problem(key, `\`${key}\` must be at least ${opts.min}.`);
  if (opts.max !== undefined && v > opts.max)
    throw new Problem(key, `\`${key}\` must be at most ${opts.max}.`);
  return v;
}

function parseName(raw: Raw): string {
  const v = raw.name;
  if (typeof v !== "string" || v.trim() === "")
    throw new Problem("name", "`name` is required: a short label.");
  if (v.includes("\u0000")) throw new Problem("name", "`name` contains a NUL character (U+0000).");
  if (v.trim().length > 128) throw new Problem("name", "`name` is longer than 128 characters.");
  return v.trim();
}

function parseApply(v: unknown): RuleApply | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v))
    throw new Problem(
      "apply",
      "`apply` must be an object: {spend_source, change_pct, max_daily_change_pct}.",
    );
  const a = v as Raw;
  for (const k of Object.keys(a))
    if (!(APPLY_FIELDS as readonly string[]).includes(k))
      throw new Problem(
        `apply.${k}`,
        `\`apply.${k}\` is not a setting; settings are ${APPLY_FIELDS.join(", ")}.`,
      );
  const source = a.spend_source;
  if (typeof source !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(source))
    throw new Problem("apply.spend_source", "`apply.spend_source` must be the id of a spend source.");
  const change = a.change_pct === undefined ? 20 : pct(a, "change_pct", 0, 100);
  const max = a.max_daily_change_pct === undefined ? 50 : pct(a, "max_daily_change_pct", 0, 1000);
  if (a.dry_run !== undefined && typeof a.dry_run !== "boolean")
    throw new Problem("apply.dry_run", "`apply.dry_run` must be true or false.");
  return { spend_source: source, change_pct: change, max_daily_change_pct: max, dry_run: a.dry_run === true };
}

function pct(a: Raw, key: string, above: number, max: number): number {
  const v = a[key];
  if (typeof v !== "number" || !Number.isFinite(v) || !(v > above) || v > max)
    throw new Problem(
      `apply.${key}`,
      `\`apply.${key}\` must be a number above ${above} and at most ${max} (percent).`,
    );
  return v;
}

const DEFAULTS = {
  model: "last_click" as ModelName,
  min_spend: 0,
  min_conversions: 0,
  cooldown_minutes: 60,
  enabled: true,
};

/** Reads the fields present in `raw` over `base` (a rule's current spec for PATCH, defaults for POST). */
function read(raw: Raw, base: Partial<RuleSpec>): RuleSpec {
  for (const k of Object.keys(raw))
    if (!(FIELDS as readonly string[]).includes(k))
      throw new Problem(k, `\`${k}\` is not a rule field; fields are ${FIELDS.join(", ")}.`);
  const has = (k: string) => raw[k] !== undefined;
  const spec: Partial<RuleSpec> = { ...base };
  if (has("name") || spec.name === undefined) spec.name = parseName(raw);
  if (has("metric") || spec.metric === undefined) spec.metric = oneOf(raw, "metric", METRICS);
  if (has("op") || spec.op === undefined) spec.op = oneOf(raw, "op", OPS);
  if (has("threshold") || spec.threshold === undefined) spec.threshold = num(raw, "threshold", {});
  if (has("window_hours") || spec.window_hours === undefined)
    spec.window_hours = num(raw, "window_hours", { above: 0, max: MAX_WINDOW_HOURS });
  if (has("group_by") || spec.group_by === undefined) {
    if (!isGroupBy(raw.group_by))
      throw new Problem("group_by", '`group_by` must be one of "platform", "campaign", "ad".');
    spec.group_by = raw.group_by;
  }
  if (has("model")) {
    if (!isModelName(raw.model))
      throw new Problem(
        "model",
        '`model` must be one of "last_click", "first_click", "linear", "time_decay", "position_based".',
      );
    spec.model = raw.model;
  }
  if (has("min_spend")) spec.min_spend = num(raw, "min_spend", { min: 0 });
  if (has("min_conversions")) spec.min_conversions = num(raw, "min_conversions", { min: 0 });
  if (has("signal") || spec.signal === undefined) spec.signal = oneOf(raw, "signal", SIGNALS);
  if (has("cooldown_minutes"))
    spec.cooldown_minutes = num(raw, "cooldown_minutes", { min: 0, max: MAX_COOLDOWN_MINUTES });
  if (has("enabled")) {
    if (typeof raw.enabled !== "boolean") throw new Problem("enabled", "`enabled` must be true or false.");
    spec.enabled = raw.enabled;
  }
  if ("apply" in raw) spec.apply = parseApply(raw.apply);
  const full = { ...DEFAULTS, apply: null, ...spec } as RuleSpec;
  if (full.apply && full.signal === "notify")
    throw new Problem(
      "apply",
      '`apply` needs a signal that changes something: "increase_budget", "decrease_budget" or "pause".',
    );
  if (full.apply && full.group_by !== "campaign")
    throw new Problem(
      "apply",
      '`apply` changes a campaign\'s daily budget or status: `group_by` must be "campaign".',
    );
  return full;
}

function run(fn: () => RuleSpec): RuleParse {
  try {
    return { ok: true, spec: fn() };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
}

/**
 * Checks a new rule, fills its defaults, and names the first wrong field.
 *
 * @example
 * parseRule({ name: "CPA too high", metric: "cpa", op: ">", threshold: 40, window_hours: 24,
 *             group_by: "campaign", signal: "decrease_budget" });
 * // { ok: true, spec: { …, model: "last_click", min_spend: 0, cooldown_minutes: 60, apply: null } }
 * parseRule({ …, metric: "ctr" }); // { ok: false, field: "metric", message: "`metric` must be one of …" }
 */
export function parseRule(raw: unknown): RuleParse {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, field: "body", message: "The body must be a JSON object: a rule." };
  return run(() => read(raw as Raw, {}));
}

/** Applies a PATCH body to a rule's spec: only the fields given change; null `apply` removes it. */
export function patchRule(current: RuleSpec, raw: unknown): RuleParse {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, field: "body", message: "The body must be a JSON object: the fields to change." };
  const base: Partial<RuleSpec> = {};
  for (const k of FIELDS) (base as Record<string, unknown>)[k] = current[k];
  return run(() => read(raw as Raw, base));
}
