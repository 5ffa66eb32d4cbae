/** Flag helpers on top of the shared parser (args.ts) for the commands that talk to a server. */
import { stringFlag, UsageError, type ParsedArgs } from "./args.js";

/**
 * Removes a flag that takes no value (`--live`, `--impressions`) from argv before parsing:
 * the shared parser would otherwise take the next word as its value.
 */
export function takeSwitch(argv: string[], name: string): boolean {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return false;
  argv.splice(i, 1);
  return true;
}

export function intFlag(args: ParsedArgs, name: string, def: number, min: number, max: number): number {
  const raw = stringFlag(args, name);
  if (raw === undefined) return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return v;
}
