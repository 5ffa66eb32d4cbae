/**
 * The attribution models' names: part of the domain (events carry credits per model, the bus
 * and the API name them), so the domain does not import attribution/ for them.
 */

export type ModelName = "last_click" | "first_click" | "linear" | "time_decay" | "position_based";

/** Every model, in the order reports and docs list them; `last_click` is the default. */
export const MODELS: readonly ModelName[] = Object.freeze([
  "last_click",
  "first_click",
  "linear",
  "time_decay",
  "position_based",
] as const);

export const DEFAULT_MODEL: ModelName = "last_click";

export function isModelName(s: unknown): s is ModelName {
  return typeof s === "string" && (MODELS as readonly string[]).includes(s);
}
