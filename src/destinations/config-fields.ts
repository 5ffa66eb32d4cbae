/**
 * What every destination config shares: the common settings and the field checks each
 * platform's `<platform>-config.ts` builds its parser from. A check that fails throws a
 * `ConfigProblem` naming the field; `parseConfig` (config-schema.ts) turns it into the
 * answer `config.<field>`.
 */

export interface CommonConfig {
  /** Base URL replacing the platform's (tests point it at a local fake). */
  endpoint: string | null;
  max_attempts: number;
  retry_base_ms: number;
  timeout_ms: number;
}

/**
 * One platform's config: its settings, which of them are secret, its parser, and what the
 * endpoints and the router need to know of a parsed config.
 */
export interface ConfigSpec<C extends CommonConfig> {
  /** Settings of this type besides the common ones, in the order an error lists them. */
  readonly fields: readonly string[];
  /** Settings kept in the sealed config only: never in an answer or a log line. */
  readonly secrets: readonly string[];
  /** Checks a config holding known keys only and fills defaults; throws `ConfigProblem`. */
  parse(raw: RawConfig): C;
  /** Event-name maps by field: their keys must be conversion actions of the workspace. */
  eventMaps(config: C): [field: string, map: Record<string, string>][];
  /** URLs Tally connects to besides `endpoint`, by field (each must pass the endpoint policy). */
  urls(config: C): [field: string, url: string][];
  /** The event names the destination can send at all; null: any. */
  mappedEvents(config: C): string[] | null;
  /** What the API may show of a setting that is not secret (default: the value itself). */
  shown?(field: string, value: unknown): unknown;
}

export type RawConfig = Record<string, unknown>;

/** Defaults of every type (API.md): 20 attempts, 1 s doubling; a request gives up after 10 s. */
export const DEFAULT_MAX_ATTEMPTS = 20;
export const DEFAULT_RETRY_BASE_MS = 1000;
export const DEFAULT_TIMEOUT_MS = 10_000;

export const COMMON_FIELDS: readonly string[] = ["endpoint", "max_attempts", "retry_base_ms", "timeout_ms"];

export class ConfigProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

interface StrOptions {
  max?: number;
  pattern?: RegExp;
  hint?: string;
}

export function str(raw: RawConfig, key: string, opts: StrOptions & { required: true }): string;
export function str(raw: RawConfig, key: string, opts?: StrOptions & { required?: false }): string | null;
export function str(
  raw: RawConfig,
  key: string,
  opts: StrOptions & { required?: boolean } = {},
): string | null {
  const v = raw[key];
  if (v === undefined || v === null || v === "") {
    if (opts.required) throw new ConfigProblem(key, `\`config.${key}\` is required.`);
    return null;
  }
  if (typeof v !== "string") throw new ConfigProblem(key, `\`config.${key}\` must be a string.`);
  const s = v.trim();
  if (s === "" && opts.required) throw new ConfigProblem(key, `\`config.${key}\` must not be empty.`);
  if (s.length > (opts.max ?? 512))
    throw new ConfigProblem(key, `\`config.${key}\` is longer than ${opts.max ?? 512} characters.`);
  if (opts.pattern && !opts.pattern.test(s))
    throw new ConfigProblem(key, opts.hint ?? `\`config.${key}\` has an invalid format.`);
  return s;
}

export function int(raw: RawConfig, key: string, def: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw new ConfigProblem(key, `\`config.${key}\` must be a whole number from ${min} to ${max}.`);
  return v;
}

/** An object from Tally event names to the platform's names (or ids), values trimmed. */
export function nameMap(
  raw: RawConfig,
  key: string,
  opts: { required: boolean; value?: RegExp; hint?: string },
): Record<string, string> {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (opts.required)
      throw new ConfigProblem(
        key,
        `\`config.${key}\` is required: an object from Tally event names to the platform's.`,
      );
    return {};
  }
  if (typeof v !== "object" || Array.isArray(v))
    throw new ConfigProblem(
      key,
      `\`config.${key}\` must be an object from Tally event names to the platform's.`,
    );
  const out: Record<string, string> = {};
  for (const [name, target] of Object.entries(v as RawConfig)) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(name))
      throw new ConfigProblem(
        key,
        `\`config.${key}\` has "${name.slice(0, 64)}", which is not an event name.`,
      );
    if (typeof target !== "string" || target.trim() === "" || target.length > 256)
      throw new ConfigProblem(key, `\`config.${key}.${name}\` must be a non-empty string.`);
    const t = target.trim();
    if (opts.value && !opts.value.test(t))
      throw new ConfigProblem(key, opts.hint ?? `\`config.${key}.${name}\` has an invalid format.`);
    out[name] = t;
  }
  if (opts.required && Object.keys(out).length === 0)
    throw new ConfigProblem(key, `\`config.${key}\` must map at least one event.`);
  return out;
}

export function httpUrl(raw: RawConfig, key: string, required: true): string;
export function httpUrl(raw: RawConfig, key: string, required: false): string | null;
export function httpUrl(raw: RawConfig, key: string, required: boolean): string | null {
  const s = required ? str(raw, key, { required: true, max: 2048 }) : str(raw, key, { max: 2048 });
  if (s === null) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ConfigProblem(key, `\`config.${key}\` must be an absolute http(s) URL.`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new ConfigProblem(key, `\`config.${key}\` must be an http(s) URL.`);
  return required ? u.toString() : s.replace(/\/+$/, "");
}

export function commonConfig(raw: RawConfig): CommonConfig {
  return {
    endpoint: httpUrl(raw, "endpoint", false),
    max_attempts: int(raw, "max_attempts", DEFAULT_MAX_ATTEMPTS, 1, 100),
    retry_base_ms: int(raw, "retry_base_ms", DEFAULT_RETRY_BASE_MS, 1, 600_000),
    timeout_ms: int(raw, "timeout_ms", DEFAULT_TIMEOUT_MS, 100, 120_000),
  };
}

/** A test event code (Meta, TikTok): what the platform's test tool shows. */
export const TEST_EVENT_CODE = { max: 64 } as const;
