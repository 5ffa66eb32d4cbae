/**
 * Experiment and variant names as events carry them in `custom_data.experiment` and
 * `custom_data.variant`: 1–64 characters, no control characters.
 */

export const MAX_NAME_LENGTH = 64;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Null when `name` is a valid experiment or variant name, else why not. */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "must be a string";
  if (name.length === 0) return "must not be empty";
  if ([...name].length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (CONTROL.test(name)) return "must not contain control characters";
  return null;
}

/** The experiment and variant an event joins, or null when its custom_data names none. */
export function exposureOf(customData: Record<string, unknown> | null | undefined): {
  experiment: string;
  variant: string;
} | null {
  const experiment = customData?.["experiment"];
  const variant = customData?.["variant"];
  if (typeof experiment !== "string" || typeof variant !== "string") return null;
  return { experiment, variant };
}
